"""Cluster health as Magnum reports it: ``api`` plus ``<node>.Ready`` per node.

Health is judged from both sides: the provider says which nodes exist and run
(nodes removed behind the driver's back show up here), and a manager with quorum
says which swarm nodes are Ready. The cluster is HEALTHY only when the API
answers, every expected node runs, and every node is Ready.
"""

from __future__ import annotations

from typing import Any

from moorage.drivers import dockerapi
from moorage.drivers.base import HealthReport
from moorage.drivers.swarm_docker import swarm
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

HEALTHY, UNHEALTHY = "HEALTHY", "UNHEALTHY"


def _manager_quorum(members: dict[str, dict[str, Any]]) -> str | None:
    """None when a majority of the swarm's managers is reachable, else the reason."""
    managers = [m for m in members.values() if m.get("ManagerStatus")]
    reachable = [m for m in managers if m["ManagerStatus"].get("Reachability") == "reachable"]
    if managers and len(reachable) * 2 <= len(managers):
        return f"{len(reachable)} of {len(managers)} managers reachable: no quorum"
    return None


def report(session: Session) -> HealthReport:
    reason: dict[str, str] = {}
    containers = {n.name: n for n in session.nodes()}
    for group in session.spec.nodegroups:
        have = len([n for n in containers.values() if n.nodegroup == group.name])
        if have < group.node_count:
            reason[f"{group.name}.nodes"] = f"{have} of {group.node_count} node containers exist"
    try:
        _, manager = swarm.find_manager(session)
        members = swarm.swarm_nodes(manager)
    except DriverError as exc:
        reason["api"] = str(exc)
        for name in containers:
            reason[f"{name}.Ready"] = "False"
        return HealthReport(UNHEALTHY, reason)
    reason["api"] = "ok"
    quorum = _manager_quorum(members)
    if quorum:
        reason["quorum"] = quorum
    for name in sorted(set(members) | set(containers)):
        ready = (
            name in containers
            and containers[name].state == "running"
            and name in members
            and members[name].get("Status", {}).get("State") == "ready"
        )
        reason[f"{name}.Ready"] = str(ready)
    unhealthy = any(v == "False" for k, v in reason.items() if k.endswith(".Ready"))
    unhealthy = unhealthy or any(k.endswith(".nodes") for k in reason) or bool(quorum)
    return HealthReport(UNHEALTHY if unhealthy else HEALTHY, reason)


def unknown(exc: Exception) -> HealthReport:
    """The provider itself did not answer: nothing can be said about the cluster."""
    return HealthReport("UNKNOWN", {"api": dockerapi.message(exc)})
