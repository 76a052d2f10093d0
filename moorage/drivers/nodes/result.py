"""What an operation reports back: addresses and versions, read from what really exists."""

from __future__ import annotations

from moorage.drivers.base import ClusterResult
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.session import Session


def collect(session: Session) -> ClusterResult:
    """``api_address`` is the first master's published API (the provider says where
    users reach it); node addresses are per node group, in name order. The COE driver
    adds the versions it reads from a master."""
    nodes = session.nodes()
    masters = [n for n in nodes if n.role == layout.MASTER_ROLE and n.host_port]
    api_address = None
    if masters:
        api_address = "tcp://" + session.provider.address(
            masters[0], session.recipe.api_port, public=True
        )
    addresses: dict[str, list[str]] = {group.name: [] for group in session.spec.nodegroups}
    for n in nodes:
        addresses.setdefault(n.nodegroup, []).append(n.ip)
    return ClusterResult(
        api_address=api_address,
        stack_id=session.spec.stack_id or layout.network_name(session.spec),
        node_addresses=addresses,
    )
