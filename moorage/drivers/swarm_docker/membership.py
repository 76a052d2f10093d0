"""Growing and shrinking node groups: which nodes go, and the order of the steps.

Adding is create containers -> wait for their engines -> join -> wait Ready.
Removing is drain -> remove container and volume -> forget the swarm node.
"""

from __future__ import annotations

from collections.abc import Sequence

from moorage.drivers import steps
from moorage.drivers.base import NodeGroupSpec, Progress
from moorage.drivers.nodes import layout, provision
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
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


def remove_steps(session: Session, victims: list[Node]) -> list[Step]:
    """Drain, then remove; the removal needs the drain's swarm ids, so a resume that
    stopped there drains again (``resumable=False``)."""
    if not victims:
        return []
    names = [n.name for n in victims]
    ids: dict[str, str] = {}
    return [
        Step(f"draining {', '.join(names)}", lambda: ids.update(_drain(session, victims))),
        Step(
            f"removing {', '.join(names)}",
            lambda: _remove(session, victims, ids),
            resumable=False,
        ),
    ]


def _drain(session: Session, victims: list[Node]) -> dict[str, str]:
    names = [n.name for n in victims]
    try:
        return draining.drain(session, names)
    except DriverError:
        # No manager left to ask (the whole group is going, or the swarm is broken):
        # removing the containers is all that is left to do.
        if any(n.role == layout.MASTER_ROLE for n in victims) or _others_alive(session, names):
            raise
        return {}


def _remove(session: Session, victims: list[Node], ids: dict[str, str]) -> None:
    for victim in victims:
        session.provider.remove_node(victim.name)
    draining.forget(session, ids.values(), exclude=[n.name for n in victims])


def _others_alive(session: Session, names: list[str]) -> bool:
    return any(
        n.role == layout.MASTER_ROLE and n.state == "running" and n.name not in names
        for n in session.nodes()
    )


def add_steps(
    session: Session, nodegroup: NodeGroupSpec, count: int, progress: Progress
) -> list[Step]:
    """Create ``count`` nodes of the group and bring them into the swarm as Ready."""
    if count <= 0:
        return []
    return [
        Step(
            f"creating {count} node(s) of {nodegroup.name}", lambda: _add(session, nodegroup, count)
        ),
        *join_steps(session, progress),
    ]


def _add(session: Session, nodegroup: NodeGroupSpec, count: int) -> None:
    draining.prune_orphans(session, [n.name for n in session.nodes()])
    provision.add_nodes(session, nodegroup, count)


def join_steps(session: Session, progress: Progress) -> list[Step]:
    """Wait for every running node's engine, form/extend the swarm, wait until all are Ready.

    The waits end early when the operation's deadline is nearer than their own."""

    def running() -> list[Node]:
        return [n for n in session.nodes() if n.state == "running"]

    def engines() -> None:
        swarm.wait_engines(session, running(), steps.time_left(progress, swarm.ENGINE_TIMEOUT))

    def ready() -> None:
        names = [n.name for n in running()]
        swarm.wait_ready(session, names, steps.time_left(progress, swarm.READY_TIMEOUT))

    return [
        Step("waiting for the node engines", engines),
        Step("joining nodes to the swarm", lambda: joining.converge(session)),
        Step("waiting for nodes to be Ready", ready),
    ]
