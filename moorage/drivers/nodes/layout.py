"""Names, roles and settings of a cluster's nodes, derived from the cluster spec.

Pure functions only: what a node is called, which node group is the masters',
which image its nodes run, and which labels are honoured. Node names are stable
(``<cluster>-<uuid8>-<nodegroup>-<index>``) and double as the provider's node
name, the node's hostname and the COE's name for the node, which is how a COE
node and its provider node are matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from moorage.drivers.base import ClusterSpec, NodeGroupSpec, TemplateSpec
from moorage.drivers.dockerapi import reference
from moorage.drivers.providers.base import Node
from moorage.exceptions import DriverError

MASTER_ROLE = "master"
# The provider node in front of the masters (``balancer.py``): in no node group.
BALANCER_ROLE = "balancer"
# Labels read by the node layer. Any other label is left to the COE driver.
IMAGE_TAG_LABEL = "node_image_tag"  # run nodes from <image>:<tag>


def slug(text: str, limit: int = 20) -> str:
    """A piece of a container name (``[a-z0-9-]``), short enough for a 63-char hostname."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "x"


def cluster_prefix(spec: ClusterSpec) -> str:
    """What every node name of the cluster starts with."""
    return f"{slug(spec.name)}-{spec.uuid.replace('-', '')[:8]}-"


def node_prefix(spec: ClusterSpec, nodegroup: NodeGroupSpec) -> str:
    return f"{cluster_prefix(spec)}{slug(nodegroup.name)}-"


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


def matches(candidate: Node, ident: str, coe_ids: dict[str, str]) -> bool:
    """Whether ``ident`` names the node: its name, a prefix of its provider id (6
    characters at least) or its id in the COE."""
    return (
        ident == candidate.name
        or (len(ident) >= 6 and candidate.id.startswith(ident))
        or coe_ids.get(candidate.name) == ident
    )


def pick_victims(
    prefix: str,
    present: list[Node],
    node_count: int,
    nodes_to_remove: Sequence[str],
    coe_ids: dict[str, str],
) -> list[Node]:
    """The named nodes (by name, provider id or COE node id), then the
    highest-numbered ones until the group is down to ``node_count``."""
    victims: list[Node] = []
    for ident in nodes_to_remove:
        found = [n for n in present if matches(n, ident, coe_ids)]
        if not found:
            names = ", ".join(n.name for n in present) or "none"
            raise DriverError(
                f"remove node {ident}: not a node of this node group (nodes: {names})"
            )
        victims.extend(n for n in found if n not in victims)
    keep = [n for n in present if n not in victims]
    keep.sort(key=lambda n: (node_index(prefix, n.name) or 0, n.name))
    extra = len(keep) - node_count
    if extra > 0:
        victims.extend(keep[-extra:])
    return victims


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


def check_removable(nodegroup: NodeGroupSpec) -> None:
    """A cluster without its masters is no cluster: their group is never deleted."""
    if is_manager(nodegroup):
        raise DriverError(f"delete node group {nodegroup.name}: the master group cannot go")


def labels(spec: ClusterSpec, nodegroup: NodeGroupSpec | None = None) -> dict[str, str]:
    """Effective labels: template, then cluster, then node group (the most specific wins)."""
    merged = {**spec.template.labels, **spec.labels}
    if nodegroup is not None:
        merged.update(nodegroup.labels)
    return merged


def image_ref(
    template: TemplateSpec,
    nodegroup: NodeGroupSpec | None,
    extra_labels: dict[str, str],
    default: str,
    default_tag: str | None = None,
) -> str:
    """The image a node group's nodes run: the group's image, else the template's, else
    the COE's ``default``, with the ``node_image_tag`` label as the tag when given, else
    the COE's ``default_tag`` when the name has no tag of its own."""
    name = (nodegroup.image_id if nodegroup else None) or template.image_id or default
    tag = extra_labels.get(IMAGE_TAG_LABEL)
    if tag:
        return f"{_untagged(name)}:{tag}"
    if default_tag and _untagged(name) == name:
        return f"{name}:{default_tag}"
    return reference(name)


def _untagged(name: str) -> str:
    name = name.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    return name[: name.rfind(":")] if ":" in last else name


def network_name(spec: ClusterSpec) -> str:
    return spec.uuid


def fixed_network(spec: ClusterSpec) -> str | None:
    return spec.fixed_network or spec.template.fixed_network
