"""``GET /v1/clusters/{cluster_ident}/events``: the steps of the operations run on a cluster.

Moorage's own read-only extension (Magnum has no such route), so it is outside
Magnum's microversions: any version a client asks for gets it. Each event is one
named step the conductor ran (``moorage.conductor.steps``), newest first unless
``sort_dir`` says otherwise, paged like every list (the marker is an event's
``id``). Whoever may see the cluster (``cluster:get``) may see its history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, collection, from_query, iso, next_link
from moorage.api.responses import documented
from moorage.api.views.clusters import visible
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import paginate
from moorage.db.session import transaction
from moorage.objects.fields import DB_INT_MAX

router = APIRouter(tags=["clusters"])

COLLECTION = "events"


@dataclass
class EventPaging(Paging):
    """The usual paging, with an event's integer ``id`` for a marker."""

    # Narrowed on purpose (a dataclass field keeps its place when redeclared).
    marker: int | None = None  # type: ignore[assignment]


def view(row: models.ClusterEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "cluster_uuid": row.cluster_id,
        "request_id": row.request_id,
        "operation": row.operation,
        "step": row.step,
        "index": row.index,
        "total": row.total,
        "started_at": iso(row.started_at),
        "finished_at": iso(row.finished_at),
        "outcome": row.outcome,
        "message": row.message,
    }


def _marker_row(session: Session, cluster_uuid: str, marker: int) -> models.ClusterEvent:
    # Beyond DB_INT_MAX no row can match (and SQLite overflows).
    row = session.get(models.ClusterEvent, marker) if 0 < marker <= DB_INT_MAX else None
    if row is None or row.cluster_id != cluster_uuid:
        raise exceptions.ResourceNotFound("Event", marker)
    return row


@router.get(
    "/clusters/{cluster_ident}/events",
    summary="List the steps run on a cluster",
    **documented(responses.Events),
)
def get_all(
    request: Request,
    cluster_ident: str,
    paging: EventPaging = Depends(from_query(EventPaging)),
    ctx: RequestContext = Depends(context_from),
) -> dict[str, Any]:
    """Moorage extension: the recorded steps of the cluster's operations, newest first."""
    pg = replace(paging, sort_dir=paging.sort_dir or "desc").page(
        models.ClusterEvent, uuid_marker=False
    )
    with transaction() as session:
        cluster = visible(session, ctx, cluster_ident, "cluster", "get")
        marker = (
            None if paging.marker is None else _marker_row(session, cluster.uuid, paging.marker)
        )
        stmt = select(models.ClusterEvent).where(models.ClusterEvent.cluster_id == cluster.uuid)
        rows = paginate(session, stmt, models.ClusterEvent, pg, marker)
        items = [view(row) for row in rows]
        path = f"clusters/{cluster.uuid}/{COLLECTION}"
    return collection(COLLECTION, items, next_link(request, path, rows, pg, "id"))
