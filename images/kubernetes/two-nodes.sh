#!/bin/bash
# A control plane and a joined worker under the docker provider's node confinement
# (run-node.sh), flannel vxlan across them; checks both nodes Ready, every pod Running,
# and that the host's global sysctls the kubelet would set are unchanged. Removes every
# container, volume and network it made, also on failure.
#   images/kubernetes/two-nodes.sh [PREFIX] [SUBNET-PREFIX]   (defaults k8sv 172.29.214)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
P=${1:-k8sv} N=${2:-172.29.214}
NET=$P-net CP=$P-cp W=$P-w1
KC="kubectl --kubeconfig=/etc/kubernetes/admin.conf"
POD_CIDR=${POD_CIDR:-10.100.0.0/16}
export POD_CIDR
sysctls() { for k in kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom \
	kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do echo "$k=$(sysctl -n $k)"; done; }
cleanup() {
	docker rm -f "$CP" "$W" >/dev/null 2>&1 || true
	docker volume rm "$CP-containerd" "$W-containerd" >/dev/null 2>&1 || true
	docker network rm "$NET" >/dev/null 2>&1 || true
}
trap cleanup EXIT
before=$(sysctls)
docker network create --subnet "$N.0/24" --gateway "$N.1" "$NET" >/dev/null
"$HERE/one-node.sh" "$CP" "$N.10" "$NET"
eval "$(docker exec "$CP" cat /etc/moorage/versions.env)"
sed "s|POD_NETWORK|$POD_CIDR|; s|BACKEND|vxlan|; s|moorage.local/flannel:v0.28.10|$FLANNEL_IMAGE|" \
	"$HERE/addons/flannel.yaml" | docker exec -i "$CP" $KC apply -f - >/dev/null
ROUTES=0 "$HERE/add-worker.sh" "$CP" "$W" "$N.11" "$NET"
docker exec "$CP" $KC get nodes -o wide
for _ in $(seq 1 120); do
	pending=$(docker exec "$CP" $KC get pods -A --no-headers | awk '$4 != "Running"' || true)
	[ -z "$pending" ] && break
	sleep 1
done
docker exec "$CP" $KC get pods -A -o wide
[ -z "$pending" ] || { echo "NOT Running:"; echo "$pending"; exit 1; }
ready=$(docker exec "$CP" $KC get nodes --no-headers | awk '$2 == "Ready"' | wc -l)
[ "$ready" = 2 ] || { echo "only $ready nodes Ready"; exit 1; }
docker exec "$CP" $KC version
after=$(sysctls)
echo "$after"
[ "$before" = "$after" ] || { echo "HOST SYSCTLS CHANGED: before: $before"; exit 1; }
echo "two-nodes: OK (2 nodes Ready, every pod Running, host sysctls unchanged)"
