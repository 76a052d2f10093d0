"""Taking nodes out of service: demote, drain (bounded), and forgetting swarm nodes.

Removal is drain -> remove the container -> ``node rm --force`` on a manager; the
research measured about 1 s per worker for this, against 15 to 28 s for a polite
``swarm leave``, and the swarm ends in the same state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import docker

from moorage.drivers import dockerapi
from moorage.drivers.swarm_docker.session import Session
from moorage.drivers.swarm_docker.swarm import find_manager, hostname, swarm_nodes

LOG = logging.getLogger(__name__)

DRAIN_TIMEOUT = 60.0
LIVE_TASK_STATES = {
    "new",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "ready",
    "starting",
    "running",
}


def _update(manager: docker.DockerClient, node_id: str, what: str, **changes: str) -> None:
    current = dockerapi.call(f"inspect swarm node {node_id}", manager.api.inspect_node, node_id)
    spec = {**current["Spec"], **changes}
    dockerapi.call(
        f"{what} swarm node {node_id}",
        manager.api.update_node,
        node_id,
        current["Version"]["Index"],
        spec,
    )


def _demote(manager: docker.DockerClient, node_id: str) -> None:
    """Demote a manager and wait until raft has let it go (removing it earlier can cost
    the quorum)."""
    _update(manager, node_id, "demote", Role="worker")

    def demoted() -> bool:
        entry = dockerapi.call(f"inspect swarm node {node_id}", manager.api.inspect_node, node_id)
        return not entry.get("ManagerStatus")

    dockerapi.wait_for(f"wait for swarm node {node_id} to be demoted", demoted, DRAIN_TIMEOUT)


def set_availability(manager: docker.DockerClient, node_id: str, availability: str) -> None:
    _update(manager, node_id, f"set availability {availability} on", Availability=availability)


def drain(
    session: Session, names: Iterable[str], leaving: bool = True, timeout: float = DRAIN_TIMEOUT
) -> dict[str, str]:
    """Drain the named nodes and wait (bounded) until their tasks have stopped.

    Nodes that are ``leaving`` the swarm are demoted first when they are managers,
    and are not asked themselves. Returns swarm node ids by name for the nodes that
    were in the swarm.
    """
    targets = set(names)
    _, manager = find_manager(session, exclude=targets if leaving else ())
    members = {name: entry for name, entry in swarm_nodes(manager).items() if name in targets}
    if leaving:
        for entry in members.values():
            if entry.get("ManagerStatus"):
                _demote(manager, str(entry["ID"]))
    for entry in members.values():
        set_availability(manager, entry["ID"], "drain")
    ids = {name: str(entry["ID"]) for name, entry in members.items()}

    def stopped() -> bool:
        tasks = dockerapi.call(
            "list tasks", manager.api.tasks, filters={"node": list(ids.values())}
        )
        return not [t for t in tasks if t.get("Status", {}).get("State") in LIVE_TASK_STATES]

    if ids:
        deadline = time.monotonic() + timeout
        while not stopped():
            if time.monotonic() > deadline:
                LOG.warning(
                    "tasks still live on %s after %.0fs; removing anyway", sorted(ids), timeout
                )
                break
            time.sleep(0.2)
    return ids


def forget(session: Session, node_ids: Iterable[str], exclude: Iterable[str]) -> None:
    """Remove swarm node objects whose containers are gone (``node rm --force``)."""
    ids = list(node_ids)
    if ids:
        _, manager = find_manager(session, exclude=exclude)
        _remove_nodes(manager, ids)


def prune_orphans(session: Session, containers: Iterable[str]) -> None:
    """Forget swarm workers whose container is gone (removed behind our back, or an
    interrupted removal: the engine, not the swarm, says which nodes exist) and down
    duplicates of a replaced node, before nodes of the same name join again."""
    present = set(containers)
    _, manager = find_manager(session)
    listed = dockerapi.call("list swarm nodes", manager.api.nodes)
    names = [hostname(e) for e in listed]
    orphans = [
        str(e["ID"])
        for e, name in zip(listed, names, strict=True)
        if not e.get("ManagerStatus")  # managers must be demoted first; never guess there
        and (
            name not in present
            or (names.count(name) > 1 and e.get("Status", {}).get("State") == "down")
        )
    ]
    _remove_nodes(manager, orphans)


def _remove_nodes(manager: docker.DockerClient, node_ids: Iterable[str]) -> None:
    for node_id in node_ids:
        dockerapi.call_unless_gone(
            f"remove swarm node {node_id}", manager.api.remove_node, node_id, force=True
        )
