"""The steps of the operations run on a cluster (``cluster_event``), as they happen."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moorage.db import models
from moorage.db.models import utcnow

SUCCESS = "success"
FAILURE = "failure"
SKIPPED = "skipped"


def begin(
    session: Session,
    cluster_uuid: str,
    request_id: int,
    operation: str,
    step: str,
    index: int,
    total: int,
) -> int:
    """A step starts; its event's id, to ``end`` it with."""
    row = models.ClusterEvent(
        cluster_id=cluster_uuid,
        request_id=request_id,
        operation=operation,
        step=step,
        index=index,
        total=total,
        started_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row.id


def end(session: Session, event_id: int, outcome: str, message: str | None = None) -> None:
    session.execute(
        update(models.ClusterEvent)
        .where(models.ClusterEvent.id == event_id)
        .values(finished_at=utcnow(), outcome=outcome, message=message)
    )


def done(session: Session, request_id: int) -> set[tuple[int, str]]:
    """(index, step) of the request's steps that succeeded or were skipped earlier."""
    stmt = select(models.ClusterEvent.index, models.ClusterEvent.step).where(
        models.ClusterEvent.request_id == request_id,
        models.ClusterEvent.outcome.in_((SUCCESS, SKIPPED)),
    )
    return {(index, step) for index, step in session.execute(stmt)}
