#!/bin/bash
# Make the local Docker engine usable for Moorage's Docker drivers.
#
# Idempotent: installs what is missing (docker.io for the engine and the binaries
# the node image is made from, busybox-static for the node image's shell,
# debootstrap for the alternative node image and the Kubernetes one, gcc and
# libc6-dev for its static pause binary), starts dockerd in the background
# when it does not answer, and waits until `docker info` does. CI calls it on a
# fresh machine; a developer can run it any number of times.
#
# Environment: DOCKERD_LOG (default /var/log/moorage-dockerd.log),
#              DOCKER_WAIT (seconds to wait for the engine, default 60).
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/moorage-dockerd.log}
DOCKER_WAIT=${DOCKER_WAIT:-60}

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

need=()
command -v dockerd >/dev/null 2>&1 || [ -x /usr/sbin/dockerd ] || need+=(docker.io)
[ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || need+=(busybox-static)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
# the Kubernetes node image: gcc -static for the pause binary, strip, sha256sum/paste
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v strip >/dev/null 2>&1 || need+=(binutils)
command -v sha256sum >/dev/null 2>&1 || need+=(coreutils)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-docker: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  echo "setup-docker: engine already running ($(docker info -f '{{.ServerVersion}}'))"
  exit 0
fi

# Not answering: start our own dockerd unless one is already starting.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd (log: $DOCKERD_LOG)"
  # No options beyond the defaults are needed (see shared/research/swarm-on-docker.md):
  # the node containers ask for their capabilities and security options themselves.
  # Start it detached in its own session so it outlives this script and its caller.
  $SUDO setsid /usr/sbin/dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 $((DOCKER_WAIT * 5))); do
  if docker info >/dev/null 2>&1; then
    echo "setup-docker: engine ready ($(docker info -f '{{.ServerVersion}}'))"
    exit 0
  fi
  sleep 0.2
done
echo "setup-docker: dockerd did not answer within ${DOCKER_WAIT}s; last log lines:" >&2
tail -n 30 "$DOCKERD_LOG" >&2 || true
exit 1
