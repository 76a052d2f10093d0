#!/bin/bash
# PROTOTYPE: three control-plane node containers without a load balancer: all masters share
# a Docker network alias (API) and controlPlaneEndpoint is API:6443. Docker's DNS returns
# every master's IP, and Go's dialer tries them in turn, so losing one master is survivable.
#   images/kubernetes/ha.sh PREFIX NETWORK IP0 IP1 IP2
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
P=$1 NET=$2; shift 2
IPS=("$@")
API=$P-api
K8S_VERSION=${K8S_VERSION:-v1.34.12}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
IMAGE=${IMAGE:-moorage-k8s-node:$K8S_VERSION}
KC="kubectl --kubeconfig=/etc/kubernetes/admin.conf"
t0=$(date +%s.%N)
tm() { printf '%6.1fs %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

for i in 0 1 2; do
	"$HERE/run-node.sh" "$P-m$i" "$IMAGE" -e SERVICE_CIDR=10.96.0.0/16 -e POD_CIDR=10.244.0.0/16 --network "$NET" --ip "${IPS[$i]}" --network-alias "$API" >/dev/null
done
for i in 0 1 2; do
	until docker exec "$P-m$i" ctr version >/dev/null 2>&1; do sleep 0.2; done
	docker exec "$P-m$i" ctr -n k8s.io images import /opt/moorage/images/control-plane.tar >/dev/null &
done
wait
tm "3 nodes started, images imported"
eval "$(docker exec "$P-m0" cat /etc/moorage/versions.env)"
sed "s|controlPlaneEndpoint: NODE_IP:6443|controlPlaneEndpoint: $API:6443|
     s|certSANs: \[localhost, 127.0.0.1, NODE_IP\]|certSANs: [localhost, 127.0.0.1, $API, ${IPS[0]}, ${IPS[1]}, ${IPS[2]}]|
     s|NODE_IP|${IPS[0]}|g; s|NODE_NAME|$P-m0|g; s|KUBE_VERSION|$KUBE_VERSION|
     s|IMAGE_REPOSITORY|$IMAGE_REPOSITORY|; s|ETCD_IMAGE_TAG|$ETCD_IMAGE_TAG|; s|COREDNS_VERSION|$COREDNS_VERSION|
     s|POD_SUBNET|10.244.0.0/16|; s|SERVICE_SUBNET|10.96.0.0/16|" "$HERE/kubeadm/init.yaml" |
	docker exec -i "$P-m0" sh -c 'cat >/etc/kubernetes/kubeadm.yaml'
docker exec "$P-m0" kubeadm init --config=/etc/kubernetes/kubeadm.yaml --skip-phases=preflight --upload-certs \
	>"$CACHE/k8s/logs/kubeadm-init-$P-m0.log" 2>&1
tm "m0: kubeadm init done"
key=$(sed -n 's/.*--certificate-key \([0-9a-f]*\).*/\1/p' "$CACHE/k8s/logs/kubeadm-init-$P-m0.log" | head -1)
join=$(docker exec "$P-m0" kubeadm token create --print-join-command --ttl 10m)
token=$(echo "$join" | sed -n 's/.*--token \([^ ]*\).*/\1/p')
hash=$(echo "$join" | sed -n 's/.*--discovery-token-ca-cert-hash \([^ ]*\).*/\1/p')
for i in 1 2; do # one at a time: each join adds an etcd member
	sed "s|CP_ENDPOINT|$API:6443|; s|TOKEN|$token|; s|CA_HASH|$hash|; s|CERT_KEY|$key|
	     s|NODE_IP|${IPS[$i]}|g; s|NODE_NAME|$P-m$i|g" "$HERE/kubeadm/join-control-plane.yaml" |
		docker exec -i "$P-m$i" sh -c 'cat >/etc/kubernetes/kubeadm-join.yaml'
	docker exec "$P-m$i" kubeadm join --config=/etc/kubernetes/kubeadm-join.yaml --skip-phases=preflight \
		>"$CACHE/k8s/logs/kubeadm-join-$P-m$i.log" 2>&1
	tm "m$i: kubeadm join --control-plane done"
done
# pod networking: each node's conflist + static routes to the others' pod CIDRs
declare -A cidr
for i in 0 1 2; do
	until c=$(docker exec "$P-m0" $KC get node "$P-m$i" -o jsonpath='{.spec.podCIDR}') && [ -n "$c" ]; do sleep 0.2; done
	cidr[$i]=$c
	sed "s|POD_CIDR|$c|" "$HERE/10-bridge.conflist" | docker exec -i "$P-m$i" sh -c 'cat >/etc/cni/net.d/10-bridge.conflist'
done
for i in 0 1 2; do for j in 0 1 2; do
	[ "$i" = "$j" ] || docker exec "$P-m$i" ip route replace "${cidr[$j]}" via "${IPS[$j]}"
done; done
until [ "$(docker exec "$P-m0" $KC get nodes --no-headers | grep -c ' Ready ')" = 3 ]; do sleep 0.5; done
tm "3 control-plane nodes Ready"
