#!/bin/bash
# PROTOTYPE: start one Kubernetes node container, non-privileged, the way
# moorage/drivers/docker/node.py starts Swarm nodes (every capability but
# CAP_SYS_RESOURCE, which this host's bounding set lacks), plus what kind does.
#   images/kubernetes/run-node.sh NAME [IMAGE] [extra docker run args...]
# -t: a tty gives the node a /dev/console, where /dev/kmsg points (kind does the same).
# CAPS="--cap-add=SYS_ADMIN --cap-add=NET_ADMIN ..." overrides the capability list.
set -euo pipefail
NAME=$1; IMAGE=${2:-moorage-k8s-node:proto}; shift 2 || shift $#
CAPS=${CAPS:---cap-add=ALL --cap-drop=SYS_RESOURCE}
# shellcheck disable=SC2086
docker run -d -t --name "$NAME" --hostname "$NAME" \
	$CAPS \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	--security-opt systempaths=unconfined \
	--cgroupns=private \
	--tmpfs /run --tmpfs /tmp \
	-v "$NAME-containerd:/var/lib/containerd" \
	"$@" "$IMAGE"
