"""``GET /v1/clusters/{cluster_ident}/nodes``: a cluster's nodes, each with its group,
role, address and readiness (a Moorage extension).

Magnum lists node addresses per group but not the nodes themselves, and its health
reason names nodes (``<node>.Ready``) by a name no other answer carries. This route
joins the two, so that a client can draw the cluster (its masters and workers,
each with its health) without knowing how drivers name nodes. Read-only, outside
Magnum's microversions like the events route; whoever may see the cluster
(``cluster:get``) may see its nodes. A group whose nodes were never recorded (a
cluster from before migration 0004, not operated on since) lists its addresses as
nodes without names.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from moorage.api import responses
from moorage.api.auth import context_from
from moorage.api.responses import documented
from moorage.api.views.clusters import visible
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.session import transaction
from moorage.objects.nodes import NodeRecord
from moorage.services import nodegroups

router = APIRouter(tags=["clusters"])


def _records(group: models.NodeGroup) -> list[NodeRecord]:
    if group.nodes is None:
        return [NodeRecord("", address=a) for a in group.node_addresses or []]
    return [NodeRecord.from_json(n) for n in group.nodes]


def view(group: models.NodeGroup, node: NodeRecord, health: dict[str, Any]) -> dict[str, Any]:
    ready = health.get(f"{node.name}.Ready") if node.name else None
    return {
        "name": node.name or None,
        "address": node.address,
        "nodegroup": group.name,
        "role": group.role,
        "ready": None if ready is None else str(ready),
    }


@router.get(
    "/clusters/{cluster_ident}/nodes",
    summary="List a cluster's nodes with their readiness (Moorage)",
    **documented(responses.Nodes),
)
def get_all(cluster_ident: str, ctx: RequestContext = Depends(context_from)) -> dict[str, Any]:
    """Masters first, then the other groups by creation; nodes in the driver's order."""
    with transaction() as session:
        cluster = visible(session, ctx, cluster_ident, "cluster", "get")
        health = cluster.health_status_reason or {}
        groups = sorted(nodegroups.of_cluster(session, cluster.uuid), key=_order)
        nodes = [view(g, n, health) for g in groups for n in _records(g)]
    return {"nodes": nodes}


def _order(group: models.NodeGroup) -> tuple[bool, int]:
    return (group.role != "master", group.id or 0)
