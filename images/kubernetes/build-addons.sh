#!/bin/bash
# PROTOTYPE: build CoreDNS and flanneld from their Go modules. CoreDNS has no replace
# directives, so plain `go install module@version` works. flanneld's main.go imports every
# backend, and the tencentvpc backend's SDK is not served by the module proxy here (403), so
# flanneld is built from a wrapper module whose main.go is upstream's minus that import
# and minus the udp backend (it needs cgo; CGO_ENABLED=0 here).
# The flannel CNI plugin (github.com/flannel-io/cni-plugin) is NOT available from the
# module proxy at all (403 "This module version is not available"): see k8s-spike.md.
#   nice -n 19 images/kubernetes/build-addons.sh
set -euo pipefail
COREDNS_VERSION=${COREDNS_VERSION:-v1.12.4}
FLANNEL_VERSION=${FLANNEL_VERSION:-v0.28.10}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
GO=${GO:-/usr/local/go/bin/go}
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
build() { # module version name
	local t0 out=$CACHE/$3/$2/bin
	t0=$(date +%s)
	mkdir -p "$out"
	GOBIN=$out "$GO" install -trimpath -ldflags="-s -w $4" "$1@$2"
	echo "$3 $2: $(($(date +%s) - t0)) s"
}
build github.com/coredns/coredns "$COREDNS_VERSION" coredns \
	"-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"

t0=$(date +%s)
WRAP=$CACHE/flannel/$FLANNEL_VERSION/wrapper OUT=$CACHE/flannel/$FLANNEL_VERSION/bin
mkdir -p "$WRAP" "$OUT"
dir=$("$GO" mod download -json "github.com/flannel-io/flannel@$FLANNEL_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
grep -vE 'flannel/pkg/backend/(tencentvpc|udp)"' "$dir/main.go" >"$WRAP/main.go"
printf 'module moorage.local/flannel-build\n\ngo %s\n\nrequire github.com/flannel-io/flannel %s\n' \
	"$(sed -n 's/^go //p' "$dir/go.mod")" "$FLANNEL_VERSION" >"$WRAP/go.mod"
(cd "$WRAP" && "$GO" mod tidy && "$GO" build -trimpath -o "$OUT/flanneld" \
	-ldflags="-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION" .)
echo "flannel $FLANNEL_VERSION: $(($(date +%s) - t0)) s"
