#!/bin/bash
# PROTOTYPE: build the Kubernetes node image with no registry: debootstrap a minimal
# bookworm with Debian's containerd/runc/CNI plugins/iptables, add the kind-style
# entrypoint and containerd config, and `docker import` it.
#
#   images/kubernetes/node-image.sh                 # base image (no k8s binaries)
#   K8S_BIN=/var/cache/moorage/k8s/v1.34.12/bin images/kubernetes/node-image.sh
#
# The debootstrap rootfs is cached (tar) under $CACHE/k8s/rootfs so rebuilds skip it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
TAG=${TAG:-moorage-k8s-node:proto}
K8S_BIN=${K8S_BIN:-}
PACKAGES=containerd,runc,containernetworking-plugins,iptables,iproute2,ca-certificates,procps,conntrack,socat,ethtool,util-linux,mount,kmod,less,curl
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
BASE=$CACHE/k8s/rootfs/bookworm-node.tar

if [ ! -f "$BASE" ]; then
	mkdir -p "$(dirname "$BASE")"
	R=$(mktemp -d)
	t0=$(date +%s)
	debootstrap --variant=minbase --include="$PACKAGES" bookworm "$R" "$MIRROR"
	rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
	tar -C "$R" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
	rm -rf "$R"
	echo "debootstrap: $(($(date +%s) - t0)) s"
fi

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
tar -C "$R" -xf "$BASE"
install -D -m 755 "$HERE/node/entrypoint" "$R/usr/local/bin/node-entrypoint"
install -m 755 "$HERE/node/start" "$R/usr/local/bin/node-start"
install -m 755 "$HERE/node/kubelet-loop" "$R/usr/local/bin/kubelet-loop"
install -D -m 644 "$HERE/node/containerd-config.toml" "$R/etc/containerd/config.toml"
mkdir -p "$R/etc/cni/net.d" "$R/var/lib/containerd" "$R/var/lib/kubelet" "$R/etc/kubernetes/manifests"
echo 'hosts: files dns' >"$R/etc/nsswitch.conf"
if [ -n "$K8S_BIN" ]; then
	for b in kubeadm kubelet kubectl; do install -m 755 "$K8S_BIN/$b" "$R/usr/bin/$b"; done
	# control-plane binaries for running the components directly (no static-pod images)
	mkdir -p "$R/opt/kubernetes/bin"
	cp -a "$K8S_BIN"/kube-* "$R/opt/kubernetes/bin/"
fi
if [ -n "${EXTRA_DIR:-}" ]; then cp -a "$EXTRA_DIR"/. "$R/"; fi
tar -C "$R" -c . | docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/kubernetes/bin' \
	--change 'ENTRYPOINT ["/usr/local/bin/node-entrypoint"]' \
	--change 'CMD ["/usr/local/bin/node-start"]' \
	--change 'VOLUME ["/var/lib/containerd"]' \
	- "$TAG" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$TAG"
