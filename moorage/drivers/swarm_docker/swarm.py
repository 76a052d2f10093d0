"""Swarm-mode work done through the nodes' own engines: init, join, wait, drain, remove.

Everything is convergent, so an operation interrupted half way can simply be run
again: ``converge`` initialises the swarm only when no manager is in one, and joins
only the nodes whose engine is not in the swarm yet. Join tokens are read from a
manager when needed, handed straight to the joining engine and passed to
``engine.call`` as secrets, so they never reach a log, an error or a result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker

from moorage.drivers.docker import engine
from moorage.drivers.docker.node import Node
from moorage.drivers.swarm_docker import layout
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

LOG = logging.getLogger(__name__)

ENGINE_TIMEOUT = 90.0
READY_TIMEOUT = 120.0
DRAIN_TIMEOUT = 60.0
PROBE_TIMEOUT = 5.0
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


def _parallel(fn: Any, items: Iterable[Any], workers: int = 4) -> list[Any]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def wait_engines(session: Session, nodes: Iterable[Node], timeout: float = ENGINE_TIMEOUT) -> None:
    """Wait until every node's engine answers on its TLS port (0.5-1.5 s after start)."""

    def wait(target: Node) -> None:
        client = session.client(target, PROBE_TIMEOUT)
        engine.wait_for(f"wait for the engine of node {target.name}", client.ping, timeout)

    _parallel(wait, list(nodes))


def local_state(session: Session, target: Node) -> str:
    info = engine.call(f"docker info on node {target.name}", session.client(target).info)
    return str((info.get("Swarm") or {}).get("LocalNodeState", ""))


def find_manager(session: Session, exclude: Iterable[str] = ()) -> tuple[Node, docker.DockerClient]:
    """A running manager whose swarm has quorum (never assume the first one is the leader)."""
    skip = set(exclude)
    errors = []
    for candidate in session.nodes():
        if candidate.role != layout.MASTER_ROLE or candidate.name in skip:
            continue
        if candidate.state != "running":
            errors.append(f"{candidate.name}: container {candidate.state}")
            continue
        try:
            session.client(candidate, PROBE_TIMEOUT).swarm.reload()
        except engine.ENGINE_ERRORS as exc:
            errors.append(f"{candidate.name}: {engine.message(exc)}")
            continue
        return candidate, session.client(candidate)
    detail = "; ".join(errors) or "the cluster has no manager node"
    raise DriverError(f"find a swarm manager with quorum: {detail}")


def _tokens(manager: docker.DockerClient) -> Mapping[str, str]:
    swarm = manager.swarm
    engine.call("read the swarm's join tokens", swarm.reload)
    return dict(swarm.attrs.get("JoinTokens") or {})


def _join(session: Session, target: Node, manager: Node, token: str) -> None:
    client = session.client(target)
    if local_state(session, target) == "error":
        engine.call(f"leave a failed swarm on node {target.name}", client.swarm.leave, force=True)
    engine.call(
        f"join node {target.name} to the swarm at {manager.ip}",
        client.swarm.join,
        remote_addrs=[f"{manager.ip}:{layout.SWARM_PORT}"],
        join_token=token,
        advertise_addr=target.ip,
        listen_addr=f"{target.ip}:{layout.SWARM_PORT}",
        secrets=[token],
    )


def converge(session: Session) -> list[Node]:
    """Make every running node of the cluster a member: init if no manager is in a
    swarm, then join managers one at a time (raft membership changes) and workers in
    parallel. Returns the nodes that joined."""
    nodes = [n for n in session.nodes() if n.state == "running"]
    states = dict(
        zip(
            [n.name for n in nodes],
            _parallel(lambda n: local_state(session, n), nodes),
            strict=True,
        )
    )
    managers = [n for n in nodes if n.role == layout.MASTER_ROLE]
    if managers and not any(states[m.name] == "active" for m in managers):
        first = managers[0]
        engine.call(
            f"swarm init on node {first.name}",
            session.client(first).swarm.init,
            advertise_addr=first.ip,
            listen_addr=f"{first.ip}:{layout.SWARM_PORT}",
        )
        states[first.name] = "active"
    pending = [n for n in nodes if states[n.name] not in ("active", "pending")]
    if not pending:
        return []
    manager, manager_client = find_manager(session)
    tokens = _tokens(manager_client)
    for target in pending:
        if target.role == layout.MASTER_ROLE:
            _join(session, target, manager, tokens.get("Manager", ""))
    workers = [n for n in pending if n.role != layout.MASTER_ROLE]
    _parallel(lambda n: _join(session, n, manager, tokens.get("Worker", "")), workers)
    return pending


def swarm_nodes(manager: docker.DockerClient) -> dict[str, dict[str, Any]]:
    """Swarm nodes by hostname (= node container name). A node that was replaced can
    briefly be listed twice; the entry that is Ready wins."""
    listed = engine.call("list swarm nodes", manager.api.nodes)
    found: dict[str, dict[str, Any]] = {}
    for entry in listed:
        name = _hostname(entry)
        if name and (name not in found or _ready(entry)):
            found[name] = entry
    return found


def prune_orphans(session: Session, containers: Iterable[str]) -> None:
    """Forget down swarm workers whose container is gone (removed behind our back, or an
    interrupted removal) or that are stale duplicates of a replaced node, before nodes
    of the same name join again."""
    present = set(containers)
    _, manager = find_manager(session)
    listed = engine.call("list swarm nodes", manager.api.nodes)
    names = [_hostname(e) for e in listed]
    orphans = [
        str(e["ID"])
        for e, name in zip(listed, names, strict=True)
        if not e.get("ManagerStatus")
        and e.get("Status", {}).get("State") == "down"
        and (name not in present or names.count(name) > 1)
    ]
    _remove_nodes(manager, orphans)


def _remove_nodes(manager: docker.DockerClient, node_ids: Iterable[str]) -> None:
    for node_id in node_ids:
        engine.call_unless_gone(
            f"remove swarm node {node_id}", manager.api.remove_node, node_id, force=True
        )


def _hostname(entry: Mapping[str, Any]) -> str:
    """A node that is still joining has no description yet."""
    return str((entry.get("Description") or {}).get("Hostname") or "")


def _ready(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("Status", {}).get("State") == "ready")


def wait_ready(session: Session, names: Iterable[str], timeout: float = READY_TIMEOUT) -> None:
    wanted = set(names)
    _, manager = find_manager(session)

    def check() -> bool:
        found = swarm_nodes(manager)
        return all(name in found and _ready(found[name]) for name in wanted)

    engine.wait_for(f"wait for nodes {', '.join(sorted(wanted))} to be Ready", check, timeout)


def _update(manager: docker.DockerClient, node_id: str, what: str, **changes: str) -> None:
    current = engine.call(f"inspect swarm node {node_id}", manager.api.inspect_node, node_id)
    spec = {**current["Spec"], **changes}
    engine.call(
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
        entry = engine.call(f"inspect swarm node {node_id}", manager.api.inspect_node, node_id)
        return not entry.get("ManagerStatus")

    engine.wait_for(f"wait for swarm node {node_id} to be demoted", demoted, DRAIN_TIMEOUT)


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
        tasks = engine.call("list tasks", manager.api.tasks, filters={"node": list(ids.values())})
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
