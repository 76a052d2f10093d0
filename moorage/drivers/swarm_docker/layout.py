"""Names, roles and settings of a swarm cluster's nodes, derived from the cluster spec.

Pure functions only: what a node is called, which role a node group plays in the
swarm, which image and limits its containers get, and which labels are honoured.
Node names are stable (``<cluster>-<uuid8>-<nodegroup>-<index>``) and double as the
container name, the node's hostname and the swarm node's hostname, which is how a
swarm node and its container are matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from moorage.drivers.base import ClusterSpec, NodeGroupSpec, TemplateSpec
from moorage.drivers.docker import image

MASTER_ROLE = "master"
API_PORT = 2375  # Magnum's swarm-mode drivers put the Docker API (with TLS) on 2375
SWARM_PORT = 2377
DEFAULT_IMAGE = "moorage-node"
# Labels read by this driver. Any other label is left alone.
IMAGE_TAG_LABEL = "node_image_tag"  # run nodes from <image>:<tag>


def slug(text: str, limit: int = 20) -> str:
    """A piece of a container name (``[a-z0-9-]``), short enough for a 63-char hostname."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "x"


def node_prefix(spec: ClusterSpec, nodegroup: NodeGroupSpec) -> str:
    return f"{slug(spec.name)}-{spec.uuid.replace('-', '')[:8]}-{slug(nodegroup.name)}-"


def node_index(prefix: str, name: str) -> int | None:
    rest = name[len(prefix) :] if name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def new_names(prefix: str, existing: Iterable[str], count: int) -> list[str]:
    """``count`` new node names, filling the lowest free indices first."""
    used = {node_index(prefix, name) for name in existing}
    names: list[str] = []
    index = 0
    while len(names) < count:
        if index not in used:
            names.append(f"{prefix}{index}")
        index += 1
    return names


def ignored_settings(spec: ClusterSpec) -> list[str]:
    """Settings this provider accepts but cannot apply, for a note in the log: a node's
    /var/lib/docker is a named volume on the host's file system, which has no size of
    its own, and a flavor's disk is not a quota either."""
    notes = []
    sizes = [spec.docker_volume_size, *(g.docker_volume_size for g in spec.nodegroups)]
    if any(sizes) or "docker_volume_size" in labels(spec):
        notes.append("docker_volume_size (node volumes are host volumes without a size)")
    if any(g.flavor and g.flavor.disk_gb for g in spec.nodegroups):
        notes.append("the flavor's disk size (node disks are host volumes without a size)")
    return notes


def is_manager(nodegroup: NodeGroupSpec) -> bool:
    return nodegroup.role == MASTER_ROLE


def labels(spec: ClusterSpec, nodegroup: NodeGroupSpec | None = None) -> dict[str, str]:
    """Effective labels: template, then cluster, then node group (the most specific wins)."""
    merged = {**spec.template.labels, **spec.labels}
    if nodegroup is not None:
        merged.update(nodegroup.labels)
    return merged


def image_ref(
    template: TemplateSpec, nodegroup: NodeGroupSpec | None, extra_labels: dict[str, str]
) -> str:
    """The image a node group's containers run: the group's image, else the template's,
    with the ``node_image_tag`` label as the tag when given."""
    name = (nodegroup.image_id if nodegroup else None) or template.image_id or DEFAULT_IMAGE
    tag = extra_labels.get(IMAGE_TAG_LABEL)
    if tag:
        name = name.split("@")[0]
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name = name[: name.rfind(":")]
        return f"{name}:{tag}"
    return image.reference(name)


def network_name(spec: ClusterSpec) -> str:
    return spec.uuid


def fixed_network(spec: ClusterSpec) -> str | None:
    return spec.fixed_network or spec.template.fixed_network


# There is no registry: the swarm agent must use the images loaded into the nodes and
# never try to pull (with the node's DNS pointed at nothing, a pull fails anyway;
# this makes it not even try).
NODE_ENVIRONMENT = {"DOCKER_SERVICE_PREFER_OFFLINE_IMAGE": "1"}


def dockerd_args(tls: bool, template: TemplateSpec) -> list[str]:
    """The node engine's arguments: the API on TCP (TLS unless the template disables it),
    no outside DNS for containers, a short shutdown so restarts stay quick."""
    args = [
        "--host=unix:///var/run/docker.sock",
        f"--host=tcp://0.0.0.0:{API_PORT}",
        "--dns=127.0.0.1",
        "--shutdown-timeout=5",
    ]
    if tls:
        args += [
            "--tlsverify",
            "--tlscacert=/etc/docker/tls/ca.pem",
            "--tlscert=/etc/docker/tls/server-cert.pem",
            "--tlskey=/etc/docker/tls/server-key.pem",
        ]
    else:
        args.append("--tls=false")  # without it dockerd delays its start by 15 s
    for registry in (template.insecure_registry or "").split(","):
        if registry.strip():
            args.append(f"--insecure-registry={registry.strip()}")
    return args
