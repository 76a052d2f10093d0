#!/bin/bash
# etcd + etcdctl from their Go modules (go.etcd.io/etcd/{server,etcdctl}/v3), with the
# same wrapper-module trick as build-kubernetes.sh: their go.mod files replace the
# sibling modules (api, client/pkg, client/v3, pkg) with ../ paths, so `go install
# ...@v` is refused; the wrapper replaces each with the published module at the same
# version. ETCD_VERSION=v3.6.17 bash build-etcd.sh
. "$(dirname "$0")/common.sh"
require ETCD_VERSION
# etcdctl is built after etcd: when it runs, both are complete
go_stage etcd "$ETCD_VERSION" etcdctl version
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
record "$OUT" "$ETCD_VERSION" "$T0"
echo "end $(ts) ($(($(date +%s) - T0)) s)"
ls -l "$OUT"
