#!/bin/bash
# PROTOTYPE: the pod sandbox ("pause") image, built locally: a static C program,
# `docker import`ed as a one-file image. Import into a node with
#   docker save moorage.local/pause:3.10.1 | ctr -n k8s.io images import -
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TAG=${TAG:-moorage.local/pause:3.10.1}
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
gcc -Os -Wall -Werror -static -o "$R/pause" "$HERE/pause/pause.c"
strip "$R/pause"
tar -C "$R" -c pause | docker import --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' - "$TAG" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$TAG"
