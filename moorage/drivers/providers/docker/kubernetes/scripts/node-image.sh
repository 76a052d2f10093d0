#!/bin/bash
# The Kubernetes node image, with no registry: the cached bookworm root file system
# (rootfs.sh), kubeadm/kubelet/kubectl, the component images (component-images.sh) in
# /opt/moorage/images, the versions file the driver reads (VERSIONS_ENV, written by
# build.py from the versions table) in /etc/moorage/versions.env, the entrypoint and
# containerd's config; then `docker import` as $NODE_IMAGE.
. "$(dirname "$0")/common.sh"
require K8S_VERSION PAUSE_IMAGE NODE_IMAGE VERSIONS_ENV
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=$CACHE/k8s/$K8S_VERSION/bin
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
tar -C "$R" -xf "$ROOTFS"
install -D -m 755 "$HERE/node/entrypoint" "$R/usr/local/bin/node-entrypoint"
install -m 755 "$HERE/node/start" "$R/usr/local/bin/node-start"
install -m 755 "$HERE/node/kubelet-loop" "$R/usr/local/bin/kubelet-loop"
mkdir -p "$R/etc/containerd"
sed "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|" "$HERE/node/containerd-config.toml" >"$R/etc/containerd/config.toml"
mkdir -p "$R/etc/cni/net.d" "$R/var/lib/containerd" "$R/var/lib/kubelet" "$R/etc/kubernetes/manifests"
echo 'hosts: files dns' >"$R/etc/nsswitch.conf"
for b in kubeadm kubelet kubectl; do install -m 755 "$BIN/$b" "$R/usr/bin/$b"; done
install -D -m 644 "$CACHE/k8s/$K8S_VERSION/control-plane.tar" "$R/opt/moorage/images/control-plane.tar"
install -m 644 "$CACHE/k8s/$K8S_VERSION/worker.tar" "$R/opt/moorage/images/worker.tar"
install -D -m 644 "$VERSIONS_ENV" "$R/etc/moorage/versions.env"
tar -C "$R" --numeric-owner -c . | docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENTRYPOINT ["/usr/bin/tini", "-g", "--", "/usr/local/bin/node-entrypoint"]' \
	--change 'CMD ["/usr/local/bin/node-start"]' \
	--change 'VOLUME ["/var/lib/containerd"]' \
	--change "LABEL moorage.kubernetes.version=$K8S_VERSION" \
	- "$NODE_IMAGE" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$NODE_IMAGE"
