#!/bin/bash
# flanneld from its Go module. Its main.go imports every backend, and the tencentvpc
# backend's SDK is not served by the module proxy here (403), so flanneld is built from a
# wrapper module whose main.go is upstream's minus that import and minus the udp backend
# (it needs cgo; CGO_ENABLED=0 here). The flannel CNI plugin (github.com/flannel-io/
# cni-plugin) is not served at all (403): nodes use the bridge plugin with the node's
# pod CIDR instead, which is what the flannel plugin delegates to.
# FLANNEL_VERSION=v0.28.10 bash build-flannel.sh
. "$(dirname "$0")/common.sh"
require FLANNEL_VERSION
go_stage flannel "$FLANNEL_VERSION" flanneld --version
dir=$("$GO" mod download -json "github.com/flannel-io/flannel@$FLANNEL_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
grep -vE 'flannel/pkg/backend/(tencentvpc|udp)"' "$dir/main.go" >"$WRAP/main.go"
printf 'module moorage.local/flannel-build\n\ngo %s\n\nrequire github.com/flannel-io/flannel %s\n' \
	"$(sed -n 's/^go //p' "$dir/go.mod")" "$FLANNEL_VERSION" >"$WRAP/go.mod"
(cd "$WRAP" && "$GO" mod tidy && "$GO" build -trimpath -o "$OUT/flanneld" \
	-ldflags="-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION" .)
record "$OUT" "$FLANNEL_VERSION" "$T0"
echo "flannel $FLANNEL_VERSION: $(($(date +%s) - T0)) s"
