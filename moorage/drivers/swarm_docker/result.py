"""What an operation reports back: addresses and versions, read from what really exists."""

from __future__ import annotations

from moorage.drivers.base import ClusterResult
from moorage.drivers.docker import node
from moorage.drivers.swarm_docker import layout, swarm
from moorage.drivers.swarm_docker.session import Session
from moorage.objects.nodes import NodeRecord


def collect(session: Session) -> ClusterResult:
    """``api_address`` is the first manager's host-published API (127.0.0.1: the host
    engine publishes there only); node addresses are per node group, in name order, and
    so are the nodes, each with its container id and swarm node id (what
    ``nodes_to_remove`` may name)."""
    nodes = session.nodes()
    managers = [n for n in nodes if n.role == layout.MASTER_ROLE and n.host_port]
    api_address = f"tcp://127.0.0.1:{managers[0].host_port}" if managers else None
    addresses: dict[str, list[str]] = {group.name: [] for group in session.spec.nodegroups}
    for n in nodes:
        addresses.setdefault(n.nodegroup, []).append(n.ip)
    version, swarm_ids = None, {}
    if managers:
        _, manager = swarm.find_manager(session)
        version = node.engine_version(manager)
        swarm_ids = swarm.node_ids(manager)
    records: dict[str, list[NodeRecord]] = {group: [] for group in addresses}
    for n in nodes:
        ids = (n.id, swarm_ids[n.name]) if n.name in swarm_ids else (n.id,)
        records[n.nodegroup].append(NodeRecord(n.name, ids, n.ip))
    return ClusterResult(
        api_address=api_address,
        stack_id=session.spec.stack_id or layout.network_name(session.spec),
        coe_version=version,
        container_version=version,
        node_addresses=addresses,
        nodes=records,
    )
