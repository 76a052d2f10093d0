#!/bin/bash
# A one-node Kubernetes control plane in a node container (run-node.sh), by hand,
# timed: node container -> images imported -> kubeadm init -> node Ready. The kubeadm
# configuration comes from the node's /etc/moorage/versions.env, as the driver's does.
#   images/kubernetes/one-node.sh NAME IP NETWORK
# (NETWORK: an existing docker bridge network containing IP). Caps via CAPS= as run-node.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=$1 IP=$2 NET=$3
K8S_VERSION=${K8S_VERSION:-v1.34.12}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
IMAGE=${IMAGE:-moorage-k8s-node:$K8S_VERSION}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/16} POD_CIDR=${POD_CIDR:-10.100.0.0/16}
t0=$(date +%s.%N)
tm() { printf '%6.1fs %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

"$HERE/run-node.sh" "$NAME" "$IMAGE" -e SERVICE_CIDR="$SERVICE_CIDR" -e POD_CIDR="$POD_CIDR" --network "$NET" --ip "$IP" >/dev/null
tm "node container started"
until docker exec "$NAME" ctr version >/dev/null 2>&1; do sleep 0.2; done
tm "containerd answers"
docker exec "$NAME" ctr -n k8s.io images import /opt/moorage/images/control-plane.tar >/dev/null
tm "images imported"
# a CA made by the caller (CA_DIR with ca.crt + ca.key): kubeadm signs everything with it
if [ -n "${CA_DIR:-}" ]; then
	docker exec "$NAME" mkdir -p /etc/kubernetes/pki
	docker cp "$CA_DIR/ca.crt" "$NAME:/etc/kubernetes/pki/ca.crt"
	docker cp "$CA_DIR/ca.key" "$NAME:/etc/kubernetes/pki/ca.key"
fi
eval "$(docker exec "$NAME" cat /etc/moorage/versions.env)"
sed "s|NODE_IP|$IP|g; s|NODE_NAME|$NAME|g; s|KUBE_VERSION|$KUBE_VERSION|; s|IMAGE_REPOSITORY|$IMAGE_REPOSITORY|
     s|ETCD_IMAGE_TAG|$ETCD_IMAGE_TAG|; s|COREDNS_VERSION|$COREDNS_VERSION|
     s|POD_SUBNET|$POD_CIDR|; s|SERVICE_SUBNET|$SERVICE_CIDR|" "$HERE/kubeadm/init.yaml" |
	docker exec -i "$NAME" sh -c 'cat >/etc/kubernetes/kubeadm.yaml'
sed "s|POD_CIDR|${POD_CIDR%.*.*}.0.0/24|" "$HERE/10-bridge.conflist" |
	docker exec -i "$NAME" sh -c 'cat >/etc/cni/net.d/10-bridge.conflist'
docker exec "$NAME" kubeadm init --config=/etc/kubernetes/kubeadm.yaml --skip-phases=preflight \
	>"$CACHE/k8s/logs/kubeadm-init-$NAME.log" 2>&1 || { tm "kubeadm init FAILED"; tail -30 "$CACHE/k8s/logs/kubeadm-init-$NAME.log"; exit 1; }
tm "kubeadm init done"
until docker exec "$NAME" kubectl --kubeconfig=/etc/kubernetes/admin.conf get node "$NAME" \
	-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; do sleep 0.5; done
tm "node Ready"
