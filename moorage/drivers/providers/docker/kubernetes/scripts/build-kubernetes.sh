#!/bin/bash
# Kubernetes' binaries (kube-apiserver, -controller-manager, -scheduler, kubelet,
# kube-proxy, kubectl, kubeadm) from the k8s.io/kubernetes Go module: no git checkout,
# no registry. K8S_VERSION=v1.34.12 bash build-kubernetes.sh
#
# `go install k8s.io/kubernetes/cmd/...@v` is refused because the module's go.mod has
# replace directives (golang/go#44840) and requires every staging module at v0.0.0. So
# a wrapper module requires k8s.io/kubernetes and replaces each staging module (the
# `./staging/...` lines of its go.mod) with the published k8s.io/X v0.N.P. One `go
# build` builds all seven, so shared packages compile once. ldflags and tags follow
# hack/lib/version.sh and hack/lib/golang.sh (-s -w, -trimpath, selinux,notest,grpcnotrace).
. "$(dirname "$0")/common.sh"
require K8S_VERSION
CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)
# no adoption: BUILD-INFO has been written by every build of these (the version check
# would have to run seven binaries)
go_stage k8s "$K8S_VERSION"

# 1. The module's own go.mod and its release time, as the proxy serves them.
info=$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION")
gomod=$(echo "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
[ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
# buildDate = the release's time on the proxy (like SOURCE_DATE_EPOCH): reproducible
build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${gomod%.mod}.info")
commit=$(sed -n 's/.*"Hash":"\([0-9a-f]*\)".*/\1/p' "${gomod%.mod}.info")
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
# tools.go keeps `go mod tidy` from dropping the commands' dependencies; its build tag
# keeps it out of every real build (main packages cannot be imported otherwise)
{
	printf '//go:build tools\n\npackage tools\n\nimport (\n'
	for c in "${CMDS[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
	echo ")"
} >tools.go
"$GO" mod tidy # no -u: exactly the versions k8s.io/kubernetes asks for
echo "wrapper ready $(ts) ($(($(date +%s) - T0)) s)"

# 3. One go build for all commands.
major=${K8S_VERSION#v}; major=${major%%.*}
minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
ldflags=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=${commit:-module-proxy-$K8S_VERSION}"
	ldflags+=" -X $pkg.buildDate=$build_date"
done
pkgs=()
for c in "${CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
"$GO" build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="all=$ldflags -s -w" -o "$OUT/" "${pkgs[@]}"
record "$OUT" "$K8S_VERSION" "$T0"
echo "end $(ts) ($(($(date +%s) - T0)) s)"
ls -l "$OUT"
