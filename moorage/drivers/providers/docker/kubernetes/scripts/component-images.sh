#!/bin/bash
# The images kubeadm's static pods and add-ons refer to, made from the locally built
# binaries with `docker import` (no registry, no base image):
#   $REPO/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:$K8S_VERSION
#   $REPO/etcd:$ETCD_IMAGE_TAG   $REPO/coredns:$COREDNS_VERSION   $FLANNEL_IMAGE
# and two `docker save` tars the node image carries for `ctr -n k8s.io images import`:
#   $CACHE/k8s/$K8S_VERSION/control-plane.tar  everything above plus $PAUSE_IMAGE
#   $CACHE/k8s/$K8S_VERSION/worker.tar         what a worker runs: pause, kube-proxy, CoreDNS, flannel
# kube-proxy and flanneld need iptables: their images get iptables-nft/legacy and the
# libraries from the node's root file system, so they match the node's Debian.
. "$(dirname "$0")/common.sh"
require K8S_VERSION ETCD_VERSION ETCD_IMAGE_TAG COREDNS_VERSION FLANNEL_VERSION FLANNEL_IMAGE PAUSE_IMAGE
BIN=$CACHE/k8s/$K8S_VERSION/bin
OUTDIR=$CACHE/k8s/$K8S_VERSION
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
W=$(mktemp -d)
trap 'rm -rf "$W" "$OUTDIR"/*.tar.tmp' EXIT

# image NAME:TAG ENTRYPOINT-JSON DIR
image() {
	mkdir -p "$3/tmp" "$3/etc" && chmod 1777 "$3/tmp"
	echo 'root:x:0:0:root:/root:/sbin/nologin' >"$3/etc/passwd"
	echo 'hosts: files dns' >"$3/etc/nsswitch.conf"
	tar -C "$3" --numeric-owner -c . |
		docker import --change "$PATH_ENV" --change "ENTRYPOINT $2" - "$1" >/dev/null
	echo "$1 $(du -sh "$3" | cut -f1)"
}
one() { # NAME TAG BINARY... -> binaries in /usr/local/bin
	local d=$W/$1 name=$1 tag=$2
	shift 2
	mkdir -p "$d/usr/local/bin"
	cp "$@" "$d/usr/local/bin/"
	image "$REPO/$name:$tag" "[\"/usr/local/bin/$name\"]" "$d"
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do one "$c" "$K8S_VERSION" "$BIN/$c"; done
one etcd "$ETCD_IMAGE_TAG" "$CACHE/etcd/$ETCD_VERSION/bin/etcd" "$CACHE/etcd/$ETCD_VERSION/bin/etcdctl"
# CoreDNS: kubeadm's Deployment passes only args (-conf ...); the entrypoint is /coredns
mkdir -p "$W/coredns" && cp "$CACHE/coredns/$COREDNS_VERSION/bin/coredns" "$W/coredns/coredns"
image "$REPO/coredns:$COREDNS_VERSION" '["/coredns"]' "$W/coredns"

# iptables userland from the node rootfs
R=$W/rootfs U=$W/iptables
mkdir -p "$R" "$U/usr/sbin" "$U/lib64" "$U/usr/lib/x86_64-linux-gnu"
tar -C "$R" -xf "$ROOTFS" ./usr/sbin ./usr/lib ./lib ./lib64 ./usr/lib64 2>/dev/null || true
cp -L "$R/lib64/ld-linux-x86-64.so.2" "$U/lib64/"
cp -a "$R/usr/lib/x86_64-linux-gnu/xtables" "$U/usr/lib/x86_64-linux-gnu/"
cp -a "$R/usr/sbin/xtables-nft-multi" "$R/usr/sbin/xtables-legacy-multi" "$U/usr/sbin/"
# the libraries of the binaries AND of the dlopen()ed match/target modules (e.g.
# libxt_statistic.so needs libm: without it kube-proxy's iptables-restore fails with
# "Couldn't load match `statistic'" and no Service works)
for f in /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables/*.so; do
	for l in $(chroot "$R" /lib64/ld-linux-x86-64.so.2 --list "$f" | awk '/=> \//{print $3}'); do
		[ -e "$U$l" ] || { mkdir -p "$U$(dirname "$l")" && cp -L "$R$l" "$U$l"; }
	done
done
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
	ln -sf xtables-nft-multi "$U/usr/sbin/$t" # the host uses nf_tables
	ln -sf xtables-legacy-multi "$U/usr/sbin/${t/tables/tables-legacy}"
done
cp -a "$U" "$W/kube-proxy"
install -D -m 755 "$BIN/kube-proxy" "$W/kube-proxy/usr/local/bin/kube-proxy"
image "$REPO/kube-proxy:$K8S_VERSION" '["/usr/local/bin/kube-proxy"]' "$W/kube-proxy"
# flanneld in /opt/bin like upstream's image
cp -a "$U" "$W/flannel"
install -D -m 755 "$CACHE/flannel/$FLANNEL_VERSION/bin/flanneld" "$W/flannel/opt/bin/flanneld"
image "$FLANNEL_IMAGE" '["/opt/bin/flanneld"]' "$W/flannel"

docker save -o "$OUTDIR/control-plane.tar.tmp" "$PAUSE_IMAGE" "$REPO/etcd:$ETCD_IMAGE_TAG" \
	"$REPO/coredns:$COREDNS_VERSION" "$FLANNEL_IMAGE" \
	"$REPO"/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy}:"$K8S_VERSION"
# workers need no control-plane images: a smaller tar imports faster
docker save -o "$OUTDIR/worker.tar.tmp" "$PAUSE_IMAGE" "$REPO/kube-proxy:$K8S_VERSION" \
	"$REPO/coredns:$COREDNS_VERSION" "$FLANNEL_IMAGE"
mv "$OUTDIR/control-plane.tar.tmp" "$OUTDIR/control-plane.tar"
mv "$OUTDIR/worker.tar.tmp" "$OUTDIR/worker.tar"
ls -l "$OUTDIR"/*.tar
