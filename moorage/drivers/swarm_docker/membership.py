"""Growing and shrinking node groups: which nodes go, and the order of the steps.

Adding is create containers -> wait for their engines -> join -> wait Ready.
Removing is drain -> remove container and volume -> forget the swarm node.
"""

from __future__ import annotations

from collections.abc import Sequence

from moorage.drivers.base import NodeGroupSpec, Progress
from moorage.drivers.docker import node
from moorage.drivers.docker.node import Node
from moorage.drivers.swarm_docker import draining, joining, layout, provision, swarm
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError


def _matches(candidate: Node, ident: str, swarm_ids: dict[str, str]) -> bool:
    return (
        ident == candidate.name
        or (len(ident) >= 6 and candidate.id.startswith(ident))
        or swarm_ids.get(candidate.name) == ident
    )


def swarm_ids_if_needed(
    session: Session, present: list[Node], nodes_to_remove: Sequence[str]
) -> dict[str, str]:
    """Swarm node ids by name, asked of a manager only when some of ``nodes_to_remove``
    is neither a container name nor a container id."""
    if all(any(_matches(n, ident, {}) for n in present) for ident in nodes_to_remove):
        return {}
    _, manager = swarm.find_manager(session)
    return swarm.node_ids(manager)


def pick_victims(
    prefix: str,
    present: list[Node],
    node_count: int,
    nodes_to_remove: Sequence[str],
    swarm_ids: dict[str, str],
) -> list[Node]:
    """The named nodes (by container name, container id or swarm node id), then the
    highest-numbered ones until the group is down to ``node_count``."""
    victims: list[Node] = []
    for ident in nodes_to_remove:
        found = [n for n in present if _matches(n, ident, swarm_ids)]
        if not found:
            names = ", ".join(n.name for n in present) or "none"
            raise DriverError(
                f"remove node {ident}: not a node of this node group (nodes: {names})"
            )
        victims.extend(n for n in found if n not in victims)
    keep = [n for n in present if n not in victims]
    keep.sort(key=lambda n: (layout.node_index(prefix, n.name) or 0, n.name))
    extra = len(keep) - node_count
    if extra > 0:
        victims.extend(keep[-extra:])
    return victims


def remove(session: Session, victims: list[Node], progress: Progress) -> None:
    if not victims:
        return
    names = [n.name for n in victims]
    progress.step(f"draining {', '.join(names)}")
    try:
        ids = draining.drain(session, names)
    except DriverError:
        # No manager left to ask (the whole group is going, or the swarm is broken):
        # removing the containers is all that is left to do.
        if any(n.role == layout.MASTER_ROLE for n in victims) or _others_alive(session, names):
            raise
        ids = {}
    progress.step(f"removing {', '.join(names)}")
    for victim in victims:
        node.remove(session.host, victim.name)
    draining.forget(session, ids.values(), exclude=names)


def _others_alive(session: Session, names: list[str]) -> bool:
    return any(
        n.role == layout.MASTER_ROLE and n.state == "running" and n.name not in names
        for n in session.nodes()
    )


def add(session: Session, nodegroup: NodeGroupSpec, count: int, progress: Progress) -> list[str]:
    """Create ``count`` nodes of the group and bring them into the swarm as Ready."""
    if count <= 0:
        return []
    progress.step(f"creating {count} node(s) of {nodegroup.name}")
    draining.prune_orphans(session, [n.name for n in session.nodes()])
    names = provision.add_nodes(session, nodegroup, count)
    join_all(session, progress)
    return names


def join_all(session: Session, progress: Progress) -> None:
    """Wait for every running node's engine, form/extend the swarm, wait until all are Ready."""
    running = [n for n in session.nodes() if n.state == "running"]
    progress.step("waiting for the node engines")
    swarm.wait_engines(session, running)
    progress.step("joining nodes to the swarm")
    joining.converge(session)
    progress.step("waiting for nodes to be Ready")
    swarm.wait_ready(session, [n.name for n in running])
