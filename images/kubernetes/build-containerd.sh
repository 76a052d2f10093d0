#!/bin/bash
# PROTOTYPE: containerd 2.x (containerd, containerd-shim-runc-v2, ctr) from its Go module,
# for kubelets that need the CRI RuntimeConfig call (Debian's containerd 1.6 lacks it:
# kubeadm 1.35 warns the fallback "will be removed in 1.36"). Its go.mod has no
# replace/exclude directives, so `go install ...@version` works. Tags as kind builds it.
#   CONTAINERD_VERSION=v2.2.9 nice -n 19 images/kubernetes/build-containerd.sh
set -euo pipefail
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.2.9}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
GO=${GO:-/usr/local/go/bin/go}
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
OUT=$CACHE/containerd/$CONTAINERD_VERSION/bin
mkdir -p "$OUT"
t0=$(date +%s)
m=github.com/containerd/containerd/v2
GOBIN=$OUT "$GO" install -trimpath -tags "no_aufs no_zfs no_btrfs no_devmapper" \
	-ldflags "-s -w -X $m/version.Version=$CONTAINERD_VERSION" \
	"$m/cmd/containerd@$CONTAINERD_VERSION" "$m/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" \
	"$m/cmd/ctr@$CONTAINERD_VERSION"
echo "containerd $CONTAINERD_VERSION: $(($(date +%s) - t0)) s"
ls -l "$OUT"
