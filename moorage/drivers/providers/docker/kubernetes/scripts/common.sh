# Sourced by every stage script of the Kubernetes node image build (build.py runs them
# in order and decides which are already done). The cache survives sessions and CI runs:
#   $CACHE/go/{mod,build}              Go's module and build caches
#   $CACHE/k8s/<version>/bin           kube-* binaries, kubeadm, kubelet, kubectl (+ BUILD-INFO)
#   $CACHE/k8s/<version>/*.tar         the component images for `ctr images import`
#   $CACHE/{etcd,coredns,flannel}/<version>/bin   (+ BUILD-INFO)
#   $CACHE/k8s/rootfs/                 the debootstrapped node root file system (tar)
# Versions come from the environment (build.py passes the versions table's row).
set -euo pipefail
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
GO=${GO:-/usr/local/go/bin/go}
REPO=${IMAGE_REPOSITORY:-moorage.local}
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# require VAR...: fail with the variable's name rather than building something unpinned
require() {
	local v
	for v; do [ -n "${!v:-}" ] || { echo "$(basename "$0"): $v is not set" >&2; exit 2; }; done
}

# the Go stages: Go 1.26 at /usr/local/go (or GO=...), toolchain downloads off
require_go() { [ -x "$GO" ] || { echo "$(basename "$0"): no Go toolchain at $GO (set GO=)" >&2; exit 2; }; }

# built OUT VERSION: BUILD-INFO is written last, so its presence means a complete build
built() { grep -qx "version=$2" "$1/BUILD-INFO" 2>/dev/null; }

# record OUT VERSION T0 [NOTE]: mark a Go build complete (atomically)
record() {
	{
		echo "version=$2"
		echo "go=$("$GO" env GOVERSION)"
		echo "built=$(ts)"
		echo "seconds=$(($(date +%s) - $3))"
		[ -z "${4:-}" ] || echo "note=$4"
	} >"$1/BUILD-INFO.tmp"
	mv "$1/BUILD-INFO.tmp" "$1/BUILD-INFO"
}

# adopt OUT VERSION CMD...: binaries an earlier script left without BUILD-INFO are kept
# when CMD (their own --version) names VERSION; a truncated binary cannot pass this
adopt() {
	local out=$1 version=$2
	shift 2
	if "$@" 2>&1 | grep -qF "${version#v}"; then
		record "$out" "$version" "$(date +%s)" "adopted: $* reports $version"
		echo "$out: $version adopted (built earlier without BUILD-INFO)"
		return 0
	fi
	return 1
}

# go_stage DIR VERSION [BINARY VERSION-FLAG]: the Go stages' start. Sets OUT (binaries)
# and WRAP (a wrapper module's directory) under $CACHE/DIR/VERSION, and T0; exits at
# once when BUILD-INFO says VERSION is built, or BINARY (in OUT) reports VERSION
go_stage() {
	local dir=$1 version=$2
	require_go
	WRAP=$CACHE/$dir/$version/wrapper OUT=$CACHE/$dir/$version/bin
	mkdir -p "$GOMODCACHE" "$GOCACHE" "$WRAP" "$OUT"
	if built "$OUT" "$version"; then echo "$OUT: $dir $version already built"; exit 0; fi
	if [ $# -gt 2 ] && [ -x "$OUT/$3" ] && adopt "$OUT" "$version" "$OUT/$3" "$4"; then exit 0; fi
	rm -f "$OUT/BUILD-INFO"
	T0=$(date +%s)
	echo "start $(ts) $dir $version"
}

# The node root file system's tar is named after its package list (node/packages), so
# changing the list makes a new one instead of reusing a stale one.
PACKAGES_FILE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node/packages
NODE_PACKAGES=$(paste -sd, "$PACKAGES_FILE")
ROOTFS=$CACHE/k8s/rootfs/bookworm-$(sha256sum "$PACKAGES_FILE" | cut -c1-12).tar
