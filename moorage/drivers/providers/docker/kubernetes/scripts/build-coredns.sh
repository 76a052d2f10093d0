#!/bin/bash
# CoreDNS from its Go module: no replace directives, so plain `go install module@version`.
# COREDNS_VERSION=v1.12.4 bash build-coredns.sh
. "$(dirname "$0")/common.sh"
require COREDNS_VERSION
go_stage coredns "$COREDNS_VERSION" coredns -version
GOBIN=$OUT "$GO" install -trimpath \
	-ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" \
	"github.com/coredns/coredns@$COREDNS_VERSION"
record "$OUT" "$COREDNS_VERSION" "$T0"
echo "coredns $COREDNS_VERSION: $(($(date +%s) - T0)) s"
