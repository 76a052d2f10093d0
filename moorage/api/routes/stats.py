"""``GET /v1/stats``: how many clusters and nodes a project (or everyone) has."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from moorage import exceptions
from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.responses import documented
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import count
from moorage.db.session import transaction

router = APIRouter(tags=["stats"])

ALLOWED_TYPES = ("cluster",)


@router.get("/stats", summary="Cluster and node counts", **documented(responses.Stats))
def get_all(
    project_id: str | None = None,
    kind: str | None = Query(None, alias="type"),
    ctx: RequestContext = Depends(context_from),
) -> dict[str, int]:
    """Non-admins see their own project only; admins any project, or all without one.

    ``nodes`` sums the node counts of every node group of those clusters,
    masters included.
    """
    policy.authorize(ctx, "stats:get_all")
    if (kind or "cluster").lower() not in ALLOWED_TYPES:
        raise exceptions.Invalid(
            "Invalid stats type. Allowed values are '" + ",".join(ALLOWED_TYPES) + "'"
        )
    if not ctx.is_admin:
        project_id = project_id or ctx.project_id
        if project_id != ctx.project_id:
            raise exceptions.NotAuthorized()
    clusters = select(models.Cluster.uuid)
    if project_id:
        clusters = clusters.where(models.Cluster.project_id == project_id)
    nodes = select(func.coalesce(func.sum(models.NodeGroup.node_count), 0)).where(
        models.NodeGroup.cluster_id.in_(clusters)
    )
    with transaction() as session:
        return {"clusters": count(session, clusters), "nodes": int(session.scalar(nodes) or 0)}
