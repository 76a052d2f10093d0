"""Growing and shrinking node groups: which nodes go, and the order of the steps.

Adding is create containers -> wait for their engines -> join -> wait Ready.
Removing is drain -> remove container and volume -> forget the swarm node.
"""

from __future__ import annotations

from collections.abc import Sequence

from moorage.drivers.base import NodeGroupSpec, Progress
from moorage.drivers.nodes import layout, provision
from moorage.drivers.providers.base import Node
from moorage.drivers.swarm_docker import draining, joining, swarm
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError


def swarm_ids_if_needed(
    session: Session, present: list[Node], nodes_to_remove: Sequence[str]
) -> dict[str, str]:
    """Swarm node ids by name, asked of a manager only when some of ``nodes_to_remove``
    is neither a container name nor a container id."""
    if all(any(layout.matches(n, ident, {}) for n in present) for ident in nodes_to_remove):
        return {}
    _, manager = swarm.find_manager(session)
    return swarm.node_ids(manager)


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
        session.provider.remove_node(victim.name)
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
