"""``GET /v1/mservices``: the conductors, from the rows their heartbeats keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.common import iso
from moorage.api.responses import documented
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction

router = APIRouter(tags=["mservices"])


def state(row: models.MagnumService, now: datetime) -> str:
    """``up`` when not forced down and the last heartbeat is within ``service_down_time``.

    The heartbeat is ``last_seen_up``, else ``updated_at``, else ``created_at``.
    """
    last = row.last_seen_up or row.updated_at or row.created_at
    if row.forced_down or last is None:
        return "down"
    return "up" if abs((now - last).total_seconds()) <= CONF.service_down_time else "down"


def view(row: models.MagnumService, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "host": row.host,
        "binary": row.binary,
        "state": state(row, now),
        "report_count": row.report_count,
        "disabled": row.disabled,
        "disabled_reason": row.disabled_reason,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


@router.get(
    "/mservices", summary="List conductor services (admin)", **documented(responses.MServices)
)
def get_all(ctx: RequestContext = Depends(context_from)) -> dict[str, Any]:
    """Every registered service, by id; no paging, as in Magnum."""
    policy.authorize(ctx, "magnum-service:get_all")
    with transaction() as session:
        rows = session.scalars(select(models.MagnumService).order_by(models.MagnumService.id))
        now = utcnow()
        return {"mservices": [view(row, now) for row in rows]}
