#!/bin/bash
# PROTOTYPE (research spike, not used by moorage yet): build the Kubernetes server
# binaries from the k8s.io/kubernetes Go module, with no git checkout and no registry.
#
#   images/kubernetes/build.sh            # K8S_VERSION=v1.34.12 by default
#   K8S_VERSION=v1.34.12 nice -n 19 images/kubernetes/build.sh
#
# How: `go install k8s.io/kubernetes/cmd/...@v1.N.P` is refused because the module's
# go.mod has replace directives (golang/go#44840) and requires every staging module at
# v0.0.0. So a wrapper module requires k8s.io/kubernetes v1.N.P and replaces each
# staging module (the `./staging/...` replace lines of the module's own go.mod) with its
# published k8s.io/X v0.N.P. All binaries are built by ONE `go build` so that shared
# packages compile once. Version ldflags and build tags follow hack/lib/version.sh and
# hack/lib/golang.sh (non-debug: -s -w, -trimpath, tags selinux,notest,grpcnotrace).
#
# Everything lives under a machine-level cache that survives sessions and CI runs:
#   $CACHE/go/mod    GOMODCACHE          $CACHE/go/build  GOCACHE
#   $CACHE/k8s/$K8S_VERSION/wrapper      the generated wrapper module
#   $CACHE/k8s/$K8S_VERSION/bin          the binaries (+ BUILD-INFO)
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.12}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
GO=${GO:-/usr/local/go/bin/go}
CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)

export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
WRAP=$CACHE/k8s/$K8S_VERSION/wrapper
OUT=$CACHE/k8s/$K8S_VERSION/bin
mkdir -p "$GOMODCACHE" "$GOCACHE" "$WRAP" "$OUT"

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# already built (BUILD-INFO is written last): nothing to do unless FORCE=1
if [ -z "${FORCE:-}" ] && grep -qx "version=$K8S_VERSION" "$OUT/BUILD-INFO" 2>/dev/null; then
	echo "$OUT: $K8S_VERSION already built"
	exit 0
fi
echo "start $(ts) $K8S_VERSION"
t0=$(date +%s)

# 1. The module's own go.mod, as the proxy serves it (the .mod file in the download cache).
info=$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION")
gomod=$(echo "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
# buildDate = the release's time on the proxy (like SOURCE_DATE_EPOCH in version.sh), so
# rebuilds are reproducible
build_date=$(echo "$info" | sed -n 's/^[[:space:]]*"Time": "\(.*\)",\{0,1\}$/\1/p')
[ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
staging_version=v0.${K8S_VERSION#v1.}

# 2. The wrapper module: staging modules -> their published v0.N.P versions.
cd "$WRAP"
{
	echo "module moorage.local/k8s-build"
	echo
	sed -n 's/^go \(.*\)$/go \1/p' "$gomod"
	sed -n 's/^godebug \(.*\)$/godebug \1/p' "$gomod"
	echo
	echo "require k8s.io/kubernetes $K8S_VERSION"
	echo
	echo "replace ("
	sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*$|\t\1 => \1 '"$staging_version"'|p' "$gomod"
	echo ")"
} >go.mod
# tools.go keeps `go mod tidy` from dropping the commands' dependencies; the build tag
# keeps it out of every real build (main packages cannot be imported otherwise).
{
	echo "//go:build tools"
	echo
	echo "package tools"
	echo
	echo "import ("
	for c in "${CMDS[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
	echo ")"
} >tools.go
"$GO" mod tidy # no -u: keep exactly the versions k8s.io/kubernetes asks for
echo "wrapper ready $(ts) ($(($(date +%s) - t0)) s)"

# 3. One go build for all commands.
major=${K8S_VERSION#v}; major=${major%%.*}
minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
ldflags=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=module-proxy-$K8S_VERSION"
	ldflags+=" -X $pkg.buildDate=$build_date"
done
pkgs=()
for c in "${CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
rm -f "$OUT/BUILD-INFO"
"$GO" build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="all=$ldflags -s -w" -o "$OUT/" "${pkgs[@]}"

t1=$(date +%s)
{
	echo "version=$K8S_VERSION"
	echo "go=$("$GO" env GOVERSION)"
	echo "built=$(ts)"
	echo "seconds=$((t1 - t0))"
} >"$OUT/BUILD-INFO"
echo "end $(ts) ($((t1 - t0)) s)"
ls -l "$OUT"
