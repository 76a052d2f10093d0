#!/bin/bash
# The API servers' load balancer image (balancer/main.go, Go's standard library only):
# one static binary `docker import`ed as a one-file image that runs as nobody.
# BALANCER_IMAGE=moorage.local/apiserver-lb:<hash> bash balancer-image.sh
. "$(dirname "$0")/common.sh"
require BALANCER_IMAGE
require_go
HERE=$(cd "$(dirname "$0")/.." && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$GOCACHE"
"$GO" build -trimpath -ldflags='-s -w' -o "$R/moorage-lb" "$HERE/balancer/main.go"
tar -C "$R" --owner=0 --group=0 -c moorage-lb |
	docker import --change 'ENTRYPOINT ["/moorage-lb"]' --change 'USER 65534:65534' - "$BALANCER_IMAGE" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$BALANCER_IMAGE"
