#!/bin/bash
# PROTOTYPE: the images kubeadm's static pods and add-ons refer to, built from the
# locally built binaries with `docker import` (no registry, no base image):
#   moorage.local/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:$K8S_VERSION
#   moorage.local/etcd:${ETCD_VERSION#v}-0   moorage.local/coredns:$COREDNS_VERSION
# and writes them all (plus pause) to one `docker save` tar that nodes import with
#   ctr -n k8s.io images import $CACHE/k8s/$K8S_VERSION/images.tar
# (images-worker.tar: only what a worker runs: pause, kube-proxy, CoreDNS, flannel)
# kube-proxy needs iptables: its image gets iptables-nft/legacy and their libraries,
# taken from the node rootfs (node-image.sh) so they match the node's Debian.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.34.12}
ETCD_VERSION=${ETCD_VERSION:-v3.6.17}
COREDNS_VERSION=${COREDNS_VERSION:-v1.12.4}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
REPO=${REPO:-moorage.local}
BIN=$CACHE/k8s/$K8S_VERSION/bin
ROOTFS=$CACHE/k8s/rootfs/bookworm-node.tar
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# image NAME:TAG ENTRYPOINT-JSON DIR
image() {
	mkdir -p "$3/tmp" "$3/etc" && chmod 1777 "$3/tmp"
	echo 'root:x:0:0:root:/root:/sbin/nologin' >"$3/etc/passwd"
	echo 'hosts: files dns' >"$3/etc/nsswitch.conf"
	tar -C "$3" -c . | docker import --change "$PATH_ENV" --change "ENTRYPOINT $2" - "$REPO/$1" >/dev/null
	echo "$REPO/$1 $(du -sh "$3" | cut -f1)"
}
one() { # NAME TAG BINARY... -> binaries in /usr/local/bin
	local d=$W/$1 name=$1 tag=$2
	shift 2
	mkdir -p "$d/usr/local/bin"
	cp "$@" "$d/usr/local/bin/"
	image "$name:$tag" "[\"/usr/local/bin/$name\"]" "$d"
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do one "$c" "$K8S_VERSION" "$BIN/$c"; done
one etcd "${ETCD_VERSION#v}-0" "$CACHE/etcd/$ETCD_VERSION/bin/etcd" "$CACHE/etcd/$ETCD_VERSION/bin/etcdctl"
# CoreDNS: kubeadm's Deployment passes only args (-conf ...), the image's entrypoint is /coredns
mkdir -p "$W/coredns" && cp "$CACHE/coredns/$COREDNS_VERSION/bin/coredns" "$W/coredns/coredns"
image "coredns:$COREDNS_VERSION" '["/coredns"]' "$W/coredns"

# kube-proxy + iptables from the node rootfs
R=$W/rootfs P=$W/kube-proxy
mkdir -p "$R" "$P/usr/local/bin" "$P/usr/sbin"
tar -C "$R" -xf "$ROOTFS" ./usr/sbin ./usr/lib ./lib ./lib64 ./usr/lib64 2>/dev/null || true
cp "$BIN/kube-proxy" "$P/usr/local/bin/"
mkdir -p "$P/lib64" "$P/usr/lib/x86_64-linux-gnu"
cp -L "$R/lib64/ld-linux-x86-64.so.2" "$P/lib64/"
cp -a "$R/usr/lib/x86_64-linux-gnu/xtables" "$P/usr/lib/x86_64-linux-gnu/"
cp -a "$R/usr/sbin/xtables-nft-multi" "$R/usr/sbin/xtables-legacy-multi" "$P/usr/sbin/"
# the libraries of the binaries AND of the dlopen()ed match/target modules (e.g.
# libxt_statistic.so needs libm: without it kube-proxy's iptables-restore fails with
# "Couldn't load match `statistic'" and no Service works)
for f in /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables/*.so; do
	for l in $(chroot "$R" /lib64/ld-linux-x86-64.so.2 --list "$f" | awk '/=> \//{print $3}'); do
		[ -e "$P$l" ] || { mkdir -p "$P$(dirname "$l")" && cp -L "$R$l" "$P$l"; }
	done
done
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
	ln -sf xtables-nft-multi "$P/usr/sbin/$t"                  # the host uses nf_tables
	ln -sf xtables-legacy-multi "$P/usr/sbin/${t/tables/tables-legacy}"
done
image "kube-proxy:$K8S_VERSION" '["/usr/local/bin/kube-proxy"]' "$P"

# flanneld (optional): the same iptables userland, flanneld in /opt/bin like upstream's image
FLANNEL_VERSION=${FLANNEL_VERSION:-v0.28.10}
flannel=()
if [ -x "$CACHE/flannel/$FLANNEL_VERSION/bin/flanneld" ]; then
	cp -a "$P" "$W/flannel" && rm "$W/flannel/usr/local/bin/kube-proxy"
	install -D -m 755 "$CACHE/flannel/$FLANNEL_VERSION/bin/flanneld" "$W/flannel/opt/bin/flanneld"
	image "flannel:$FLANNEL_VERSION" '["/opt/bin/flanneld"]' "$W/flannel"
	flannel=("$REPO/flannel:$FLANNEL_VERSION")
fi

docker save -o "$CACHE/k8s/$K8S_VERSION/images.tar" \
	"$REPO/pause:3.10.1" "$REPO/etcd:${ETCD_VERSION#v}-0" "$REPO/coredns:$COREDNS_VERSION" \
	"$REPO"/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:"$K8S_VERSION" \
	"${flannel[@]}"
# workers need no control-plane images: a smaller tar imports faster
docker save -o "$CACHE/k8s/$K8S_VERSION/images-worker.tar" \
	"$REPO/pause:3.10.1" "$REPO/coredns:$COREDNS_VERSION" "$REPO/kube-proxy:$K8S_VERSION" "${flannel[@]}"
ls -l "$CACHE/k8s/$K8S_VERSION"/images*.tar
