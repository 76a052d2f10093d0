#!/bin/bash
# PROTOTYPE: start one Kubernetes node container, non-privileged, with the fewest
# privileges found to work here (see k8s-spike.md): Docker's default capabilities plus
# SYS_ADMIN, NET_ADMIN, SYS_PTRACE; seccomp unconfined (runc needs keyctl); Docker's
# masked and read-only /proc paths kept (the entrypoint makes only /proc/sys/net writable);
# a private cgroup namespace; tmpfs /run and /tmp; a volume for containerd's data.
# (The Swarm nodes in moorage/drivers/docker/node.py use ALL caps but SYS_RESOURCE and
# systempaths=unconfined; CAPS="--cap-add=ALL --cap-drop=SYS_RESOURCE" reproduces that.)
#   images/kubernetes/run-node.sh NAME [IMAGE] [extra docker run args...]
# -t: a tty gives the node a /dev/console, where /dev/kmsg points (kind does the same).
# CAPS="--cap-add=SYS_ADMIN --cap-add=NET_ADMIN ..." overrides the capability list.
set -euo pipefail
NAME=$1; IMAGE=${2:-moorage-k8s-node:proto}; shift 2 || shift $#
CAPS=${CAPS:---cap-add=SYS_ADMIN --cap-add=NET_ADMIN --cap-add=SYS_PTRACE}
# shellcheck disable=SC2086
docker run -d -t --name "$NAME" --hostname "$NAME" \
	$CAPS \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	--cgroupns=private \
	--tmpfs /run --tmpfs /tmp \
	-v "$NAME-containerd:/var/lib/containerd" \
	"$@" "$IMAGE"
