#!/bin/bash
# PROTOTYPE: build CoreDNS and flanneld from their Go modules. Neither go.mod has
# replace directives, so plain `go install module@version` works (no wrapper).
# The flannel CNI plugin (github.com/flannel-io/cni-plugin) is NOT available from the
# module proxy here (403 "This module version is not available"): see k8s-spike.md.
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
build github.com/flannel-io/flannel "$FLANNEL_VERSION" flannel \
	"-X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION"
