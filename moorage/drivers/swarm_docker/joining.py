"""Forming and extending the swarm: ``swarm init`` and ``swarm join`` on the nodes' engines.

Convergent, so an operation interrupted half way can simply be run again: the
swarm is initialised only when no manager is in one, and only nodes whose engine
is not in the swarm yet join. Join tokens are read from a manager when needed,
handed straight to the joining engine and passed to ``dockerapi.call`` as secrets,
so they never reach a log, an error or a result.
"""

from __future__ import annotations

from collections.abc import Mapping

import docker

from moorage.drivers import dockerapi
from moorage.drivers.nodes import layout
from moorage.drivers.providers.base import Node
from moorage.drivers.swarm_docker.node_config import SWARM_PORT
from moorage.drivers.swarm_docker.session import Session
from moorage.drivers.swarm_docker.swarm import find_manager, local_state, parallel
from moorage.exceptions import DriverError


def _tokens(manager: docker.DockerClient) -> Mapping[str, str]:
    swarm = manager.swarm
    dockerapi.call("read the swarm's join tokens", swarm.reload)
    return dict(swarm.attrs.get("JoinTokens") or {})


def _join(session: Session, target: Node, manager: Node, token: str) -> None:
    """Join one node; when its engine is down the error says so at once (a call to a
    stopped node's address only ends with the client's timeout)."""
    what = f"join node {target.name} to the swarm at {manager.ip}"
    down = session.provider.down_reason(target.name)
    if down:
        raise DriverError(f"{what}: {down}")
    try:
        _join_engine(session, target, manager, token, what)
    except DriverError as exc:
        down = session.provider.down_reason(target.name)
        if down:
            raise DriverError(f"{exc} ({down})") from None
        raise


def _join_engine(session: Session, target: Node, manager: Node, token: str, what: str) -> None:
    client = session.client(target)
    if local_state(session, target) == "error":
        dockerapi.call(
            f"leave a failed swarm on node {target.name}", client.swarm.leave, force=True
        )
    dockerapi.call(
        what,
        client.swarm.join,
        remote_addrs=[f"{manager.ip}:{SWARM_PORT}"],
        join_token=token,
        advertise_addr=target.ip,
        listen_addr=f"{target.ip}:{SWARM_PORT}",
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
            parallel(lambda n: local_state(session, n), nodes),
            strict=True,
        )
    )
    managers = [n for n in nodes if n.role == layout.MASTER_ROLE]
    if managers and not any(states[m.name] == "active" for m in managers):
        first = managers[0]
        dockerapi.call(
            f"swarm init on node {first.name}",
            session.client(first).swarm.init,
            advertise_addr=first.ip,
            listen_addr=f"{first.ip}:{SWARM_PORT}",
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
    parallel(lambda n: _join(session, n, manager, tokens.get("Worker", "")), workers)
    return pending
