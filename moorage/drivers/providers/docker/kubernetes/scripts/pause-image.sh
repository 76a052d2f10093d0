#!/bin/bash
# The pod sandbox ("pause") image, built locally: a static C program `docker import`ed
# as a one-file image. PAUSE_IMAGE=moorage.local/pause:3.10.1 bash pause-image.sh
. "$(dirname "$0")/common.sh"
require PAUSE_IMAGE
HERE=$(cd "$(dirname "$0")/.." && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
gcc -Os -Wall -Werror -static -o "$R/pause" "$HERE/pause/pause.c"
strip "$R/pause"
tar -C "$R" -c pause |
	docker import --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' - "$PAUSE_IMAGE" >/dev/null
docker image inspect -f '{{.Id}} {{.Size}}' "$PAUSE_IMAGE"
