#!/bin/bash
# Join a worker node container to the one-node cluster made by one-node.sh,
# with pod networking by static routes (kindnet-style; no flannel): every node gets a
# route to every other node's pod CIDR via that node's IP.
#   images/kubernetes/add-worker.sh CP_NAME NAME IP NETWORK
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CP=$1 NAME=$2 IP=$3 NET=$4
K8S_VERSION=${K8S_VERSION:-v1.34.12}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
IMAGE=${IMAGE:-moorage-k8s-node:$K8S_VERSION}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/16} POD_CIDR=${POD_CIDR:-10.100.0.0/16}
KC="kubectl --kubeconfig=/etc/kubernetes/admin.conf"
t0=$(date +%s.%N)
tm() { printf '%6.1fs %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

"$HERE/run-node.sh" "$NAME" "$IMAGE" -e SERVICE_CIDR="$SERVICE_CIDR" -e POD_CIDR="$POD_CIDR" --network "$NET" --ip "$IP" >/dev/null
until docker exec "$NAME" ctr version >/dev/null 2>&1; do sleep 0.2; done
tm "node container started, containerd answers"
docker exec "$NAME" ctr -n k8s.io images import /opt/moorage/images/worker.tar >/dev/null
tm "images imported"
join=$(docker exec "$CP" kubeadm token create --print-join-command --ttl 10m)
token=$(echo "$join" | sed -n 's/.*--token \([^ ]*\).*/\1/p')
hash=$(echo "$join" | sed -n 's/.*--discovery-token-ca-cert-hash \([^ ]*\).*/\1/p')
endpoint=$(echo "$join" | awk '{print $3}')
sed "s|CP_ENDPOINT|$endpoint|; s|TOKEN|$token|; s|CA_HASH|$hash|; s|NODE_IP|$IP|g; s|NODE_NAME|$NAME|g" \
	"$HERE/kubeadm/join.yaml" | docker exec -i "$NAME" sh -c 'cat >/etc/kubernetes/kubeadm-join.yaml'
docker exec "$NAME" kubeadm join --config=/etc/kubernetes/kubeadm-join.yaml --skip-phases=preflight \
	>"$CACHE/k8s/logs/kubeadm-join-$NAME.log" 2>&1 || { tm "kubeadm join FAILED"; tail -30 "$CACHE/k8s/logs/kubeadm-join-$NAME.log"; exit 1; }
tm "kubeadm join done"
# the pod CIDR the controller-manager allocated to the new node -> its CNI config + routes
until cidr=$(docker exec "$CP" $KC get node "$NAME" -o jsonpath='{.spec.podCIDR}') && [ -n "$cidr" ]; do sleep 0.2; done
sed "s|POD_CIDR|$cidr|" "$HERE/10-bridge.conflist" |
	docker exec -i "$NAME" sh -c 'cat >/etc/cni/net.d/10-bridge.conflist'
# (ROUTES=0 when flanneld runs: it installs the routes / VXLAN itself)
[ "${ROUTES:-1}" = 0 ] || for other in $(docker exec "$CP" $KC get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.addresses[?(@.type=="InternalIP")].address}={.spec.podCIDR}{"\n"}{end}'); do
	n=${other%%=*} rest=${other#*=}; oip=${rest%%=*} ocidr=${rest#*=}
	[ "$n" = "$NAME" ] && continue
	docker exec "$NAME" ip route replace "$ocidr" via "$oip"
	docker exec "$n" ip route replace "$cidr" via "$IP"
done
tm "pod CIDR $cidr, conflist written"
until docker exec "$CP" $KC get node "$NAME" \
	-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; do sleep 0.5; done
tm "node Ready"
