#!/bin/bash
# PROTOTYPE: in-place upgrade of a cluster made by one-node.sh/add-worker.sh to another
# version (built by build.sh + component-images.sh), the kubeadm way: first control plane
# `kubeadm upgrade apply`, then every other node `kubeadm upgrade node`; each node's kubelet
# binary is swapped and restarted by killing it (node/kubelet-loop starts the new one).
# From v1.35 the kubelet refuses cgroup v1 unless failCgroupV1: false, so that goes into
# the cluster's kubelet-config ConfigMap first (kubeadm writes each node's config from it).
#   images/kubernetes/upgrade.sh VERSION CP_NAME [OTHER_NODE...]
set -euo pipefail
V=$1 CP=$2; shift 2
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
BIN=$CACHE/k8s/$V/bin
KC="kubectl --kubeconfig=/etc/kubernetes/admin.conf"
t0=$(date +%s.%N)
tm() { printf '%6.1fs %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

swap_binaries() { # NODE: new kubeadm/kubectl now, kubelet staged until restart_kubelet
	docker cp "$BIN/kubeadm" "$1:/usr/bin/kubeadm"
	docker cp "$BIN/kubectl" "$1:/usr/bin/kubectl"
	docker cp "$BIN/kubelet" "$1:/usr/bin/kubelet.new"
}
restart_kubelet() {
	docker exec "$1" sh -c 'mv /usr/bin/kubelet.new /usr/bin/kubelet && kill $(pidof kubelet)'
}

# (rerunnable: a control plane whose kubelet already runs $V is skipped)
if [ "$(docker exec "$CP" $KC get node "$CP" -o jsonpath='{.status.nodeInfo.kubeletVersion}')" != "$V" ]; then
docker exec -i "$CP" ctr -n k8s.io images import - <"$CACHE/k8s/$V/control-plane.tar" >/dev/null
swap_binaries "$CP"
tm "$CP: images imported, binaries staged"
docker exec "$CP" sh -c "$KC -n kube-system get cm kubelet-config -o yaml | grep -q failCgroupV1 ||
	$KC -n kube-system get cm kubelet-config -o yaml |
	sed '/^    failSwapOn:/a\\    failCgroupV1: false' | $KC replace -f -" >/dev/null
# kubeadm >= 1.35 fails its SystemVerification preflight on cgroup v1 ("You must also
# explicitly skip this validation")
docker exec "$CP" kubeadm upgrade apply "$V" --yes --ignore-preflight-errors=SystemVerification >"$CACHE/k8s/logs/kubeadm-upgrade-$CP-$V.log" 2>&1 ||
	{ tm "kubeadm upgrade apply FAILED"; tail -30 "$CACHE/k8s/logs/kubeadm-upgrade-$CP-$V.log"; exit 1; }
restart_kubelet "$CP"
tm "$CP: kubeadm upgrade apply done, kubelet restarted"
fi
for n in "$@"; do
	docker exec -i "$n" ctr -n k8s.io images import - <"$CACHE/k8s/$V/worker.tar" >/dev/null
	swap_binaries "$n"
	docker exec "$n" kubeadm upgrade node --ignore-preflight-errors=SystemVerification >"$CACHE/k8s/logs/kubeadm-upgrade-$n-$V.log" 2>&1 ||
		{ tm "$n: kubeadm upgrade node FAILED"; tail -30 "$CACHE/k8s/logs/kubeadm-upgrade-$n-$V.log"; exit 1; }
	restart_kubelet "$n"
	tm "$n: kubeadm upgrade node done, kubelet restarted"
done
until [ "$(docker exec "$CP" $KC get nodes --no-headers | awk -v v="$V" '$2 == "Ready" && $5 == v' | wc -l)" = $(($# + 1)) ]; do sleep 1; done
tm "all nodes Ready at $V"
