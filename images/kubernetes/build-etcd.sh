#!/bin/bash
# PROTOTYPE: build etcd + etcdctl from their Go modules (go.etcd.io/etcd/{server,etcdctl}/v3)
# with the same wrapper-module trick as build.sh: their go.mod files replace the sibling
# modules (api, client/pkg, client/v3, pkg) with ../ paths, so `go install ...@v` is
# refused; the wrapper replaces each with the published module at the same version.
#   ETCD_VERSION=v3.6.17 nice -n 19 images/kubernetes/build-etcd.sh
set -euo pipefail
ETCD_VERSION=${ETCD_VERSION:-v3.6.17}
CACHE=${MOORAGE_CACHE:-/var/cache/moorage}
GO=${GO:-/usr/local/go/bin/go}
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
WRAP=$CACHE/etcd/$ETCD_VERSION/wrapper
OUT=$CACHE/etcd/$ETCD_VERSION/bin
mkdir -p "$WRAP" "$OUT"
echo "start $(date -u +%FT%TZ) etcd $ETCD_VERSION"
t0=$(date +%s)
gomod=$("$GO" mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
cd "$WRAP"
{
	echo "module moorage.local/etcd-build"
	echo
	sed -n 's/^go \(.*\)$/go \1/p' "$gomod"
	echo
	echo "require ("
	echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
	echo "	go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION"
	echo ")"
	echo
	echo "replace ("
	# only the sibling-module lines (`X => ../dir`); FORBIDDEN_DEPENDENCY guards are dropped
	sed -n 's|^[[:space:]]*\(go.etcd.io/etcd/[^ ]*\) => \.\./.*$|\t\1 => \1 '"$ETCD_VERSION"'|p' "$gomod"
	echo ")"
} >go.mod
printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3"\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n)\n' >tools.go
"$GO" mod tidy
# etcd's own build (scripts/build_lib.sh) stamps the git SHA only; the version is compiled in
"$GO" build -trimpath -ldflags="-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
"$GO" build -trimpath -ldflags="-s -w" -o "$OUT/etcdctl" go.etcd.io/etcd/etcdctl/v3
echo "end $(date -u +%FT%TZ) ($(($(date +%s) - t0)) s)"
ls -l "$OUT"
