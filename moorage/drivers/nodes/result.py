"""What an operation reports back: addresses and versions, read from what really exists."""

from __future__ import annotations

from moorage.drivers.base import ClusterResult
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.session import Session
from moorage.objects.nodes import NodeRecord


def collect(session: Session) -> ClusterResult:
    """``api_address`` is the load balancer's published API when the cluster has one,
    else the first master's (the provider says where users reach it); node addresses are per node group, in name order. The COE driver
    adds the versions it reads from a master. The nodes, per node group in name order,
    carry the provider's id of each (what ``nodes_to_remove`` may name); a COE adds its
    own ids with ``with_ids``."""
    nodes = session.nodes()
    masters = [n for n in nodes if n.role == layout.MASTER_ROLE and n.host_port]
    front = session.balancer() or (masters[0] if masters else None)
    api_address = None
    if front is not None:
        api_address = f"{session.recipe.api_scheme}://" + session.provider.address(
            front, session.recipe.api_port, public=True
        )
    addresses: dict[str, list[str]] = {group.name: [] for group in session.spec.nodegroups}
    records: dict[str, list[NodeRecord]] = {group: [] for group in addresses}
    for n in nodes:
        addresses.setdefault(n.nodegroup, []).append(n.ip)
        records.setdefault(n.nodegroup, []).append(NodeRecord(n.name, (n.id,), n.ip))
    return ClusterResult(
        api_address=api_address,
        stack_id=session.spec.stack_id or layout.network_name(session.spec),
        node_addresses=addresses,
        nodes=records,
    )


def with_ids(outcome: ClusterResult, more: dict[str, str]) -> None:
    """Add a COE's own id of each node (by node name) to the recorded nodes."""
    for group, records in outcome.nodes.items():
        outcome.nodes[group] = [
            NodeRecord(r.name, (*r.ids, more[r.name]), r.address) if r.name in more else r
            for r in records
        ]
