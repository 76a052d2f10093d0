#!/bin/bash
# Start one Kubernetes node container from the node image with the confinement the
# Moorage docker provider gives nodes (moorage/drivers/providers/docker/confinement.py):
# every capability but DROPPED_CAPABILITIES, the node seccomp profile (keyctl -> ENOSYS),
# apparmor unconfined, systempaths=unconfined, a private cgroup namespace, tmpfs /run
# and /tmp, a named volume for containerd's data, and a tty (/dev/kmsg -> /dev/console).
#   images/kubernetes/run-node.sh NAME [IMAGE] [extra docker run args...]
# CAPS="--cap-add=..." and SECCOMP=<file|unconfined> override those two.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-$HERE/../../.venv/bin/python}
NAME=$1; IMAGE=${2:-moorage-k8s-node:v1.34.12}; shift 2 || shift $#
if [ -z "${CAPS:-}" ]; then
	CAPS="--cap-add=ALL $("$PY" -c 'from moorage.drivers.providers.docker.confinement import DROPPED_CAPABILITIES as d; print(" ".join("--cap-drop=" + c for c in d))')"
fi
if [ -z "${SECCOMP:-}" ]; then
	SECCOMP=${TMPDIR:-/tmp}/moorage-node-seccomp-v1.json
	"$PY" -c 'from moorage.drivers.providers.docker.confinement import seccomp_profile; print(seccomp_profile("1"))' >"$SECCOMP"
fi
# shellcheck disable=SC2086
docker run -d -t --name "$NAME" --hostname "$NAME" \
	$CAPS \
	--security-opt "seccomp=$SECCOMP" --security-opt apparmor=unconfined \
	--security-opt systempaths=unconfined \
	--cgroupns=private \
	--tmpfs /run --tmpfs /tmp \
	-v "$NAME-containerd:/var/lib/containerd" \
	"$@" "$IMAGE"
