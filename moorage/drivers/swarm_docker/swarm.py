"""Reading a swarm through its nodes' own engines: which manager to ask, which nodes
are members, and waiting until engines answer and nodes are Ready.

Managers are never assumed: the first running manager whose swarm has quorum is
used, so a lost leader or a replaced manager changes nothing for the callers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import docker

from moorage.drivers import dockerapi
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.parallel import parallel
from moorage.drivers.providers.base import Node
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

ENGINE_TIMEOUT = 90.0
READY_TIMEOUT = 120.0
PROBE_TIMEOUT = 5.0
# _ping is cheap, and an engine answers 0.5 to 1.5 s after its container starts: poll
# it at 0.1 s so that adding a node does not wait up to 0.2 s longer than it must.
PING_INTERVAL = 0.1


def wait_engines(session: Session, nodes: Iterable[Node], timeout: float = ENGINE_TIMEOUT) -> None:
    """Wait until every node's engine answers on its TLS port (0.5-1.5 s after start)."""

    def wait(target: Node) -> None:
        client = session.client(target, PROBE_TIMEOUT)
        dockerapi.wait_for(
            f"wait for the engine of node {target.name}", client.ping, timeout, PING_INTERVAL
        )

    parallel(wait, list(nodes))


def local_state(session: Session, target: Node) -> str:
    info = dockerapi.call(f"docker info on node {target.name}", session.client(target).info)
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
        except dockerapi.ENGINE_ERRORS as exc:
            errors.append(f"{candidate.name}: {dockerapi.message(exc)}")
            continue
        return candidate, session.client(candidate)
    detail = "; ".join(errors) or "the cluster has no manager node"
    raise DriverError(f"find a swarm manager with quorum: {detail}")


def swarm_nodes(manager: docker.DockerClient) -> dict[str, dict[str, Any]]:
    """Swarm nodes by hostname (= node container name). A node that was replaced can
    briefly be listed twice; the entry that is Ready wins."""
    listed = dockerapi.call("list swarm nodes", manager.api.nodes)
    found: dict[str, dict[str, Any]] = {}
    for entry in listed:
        name = hostname(entry)
        if name and (name not in found or ready(entry)):
            found[name] = entry
    return found


def node_ids(manager: docker.DockerClient) -> dict[str, str]:
    """Swarm node ids by hostname (= node container name)."""
    return {name: str(entry["ID"]) for name, entry in swarm_nodes(manager).items()}


def hostname(entry: Mapping[str, Any]) -> str:
    """A node that is still joining has no description yet."""
    return str((entry.get("Description") or {}).get("Hostname") or "")


def ready(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("Status", {}).get("State") == "ready")


def wait_ready(
    session: Session,
    names: Iterable[str],
    timeout: float = READY_TIMEOUT,
    managers_reachable: bool = False,
) -> None:
    """Wait until the named nodes are Ready (and, when asked, every manager is reachable
    in raft: what must hold before the next manager may go down)."""
    wanted = set(names)
    _, manager = find_manager(session)

    def check() -> bool:
        found = swarm_nodes(manager)
        if managers_reachable and any(
            (e.get("ManagerStatus") or {}).get("Reachability", "reachable") != "reachable"
            for e in found.values()
        ):
            return False
        return all(name in found and ready(found[name]) for name in wanted)

    dockerapi.wait_for(f"wait for nodes {', '.join(sorted(wanted))} to be Ready", check, timeout)


def leader_last(session: Session, nodes: list[Node]) -> list[Node]:
    """``nodes`` in name order with the raft leader moved to the end, so that a rolling
    operation over the managers costs one leader election, not one per manager."""
    ordered = sorted(nodes, key=lambda n: n.name)
    try:
        _, manager = find_manager(session)
        leaders = {
            name
            for name, e in swarm_nodes(manager).items()
            if (e.get("ManagerStatus") or {}).get("Leader")
        }
    except DriverError:
        return ordered
    return sorted(ordered, key=lambda n: n.name in leaders)
