"""Cluster health as Magnum reports it: ``api`` plus ``<node>.Ready`` per node.

The API server's ``/readyz`` says whether the control plane serves (and ``api_lb``
whether the load balancer in front of the masters runs, when there is one); each Node's
Ready condition, read through it, says whether the kubelet does; the provider
says which nodes exist at all (a node removed behind the driver's back shows up
here as a group short of nodes and a node that is not Ready).
"""

from __future__ import annotations

from moorage.drivers.base import HealthReport
from moorage.drivers.kubernetes.session import Session, is_ready
from moorage.drivers.nodes import balancer
from moorage.exceptions import DriverError

HEALTHY, UNHEALTHY = "HEALTHY", "UNHEALTHY"


BALANCER = "api_lb"


def _balancer_down(session: Session) -> str | None:
    """Why the published endpoint cannot work though the masters may, when it cannot."""
    if not balancer.wanted(session.spec):
        return None
    front = session.balancer()
    if front is None:
        return "the load balancer in front of the masters is gone"
    return None if front.state == "running" else f"load balancer {front.name} is {front.state}"


def report(session: Session) -> HealthReport:
    reason: dict[str, str] = {}
    present = {n.name: n for n in session.nodes()}
    for group in session.spec.nodegroups:
        have = len([n for n in present.values() if n.nodegroup == group.name])
        if have < group.node_count:
            reason[f"{group.name}.nodes"] = f"{have} of {group.node_count} nodes exist"
    down = _balancer_down(session)
    if down is not None:
        reason[BALANCER] = down
    try:
        master = session.api_master()
        registered = session.kube_nodes(master)
    except DriverError as exc:
        reason["api"] = str(exc)
        reason.update({f"{name}.Ready": "False" for name in present})
        return HealthReport(UNHEALTHY, reason)
    reason["api"] = "ok"
    for name in sorted(set(registered) | set(present)):
        up = name in present and present[name].state == "running"
        reason[f"{name}.Ready"] = str(up and name in registered and is_ready(registered[name]))
    unhealthy = any(v == "False" for k, v in reason.items() if k.endswith(".Ready"))
    unhealthy = unhealthy or BALANCER in reason or any(k.endswith(".nodes") for k in reason)
    return HealthReport(UNHEALTHY if unhealthy else HEALTHY, reason)
