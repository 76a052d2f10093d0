"""The requests recorded on a cluster (``cluster_request``): an ordered queue.

The API appends; the conductor holding the cluster's lease takes the oldest
unfinished one, runs it to an end state, then the next.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moorage.db import models
from moorage.objects.requests import UNFINISHED, Operation, RequestState


def record(
    session: Session,
    cluster_uuid: str,
    operation: Operation,
    arguments: dict[str, Any],
    context: dict[str, Any],
) -> models.ClusterRequest:
    row = models.ClusterRequest(
        cluster_id=cluster_uuid,
        operation=str(operation),
        arguments=arguments,
        context=context,
        state=RequestState.PENDING,
    )
    session.add(row)
    session.flush()
    return row


def unfinished(session: Session, cluster_uuid: str) -> list[models.ClusterRequest]:
    """The cluster's requests still to run (or running), oldest first."""
    stmt = (
        select(models.ClusterRequest)
        .where(
            models.ClusterRequest.cluster_id == cluster_uuid,
            models.ClusterRequest.state.in_(UNFINISHED),
        )
        .order_by(models.ClusterRequest.id)
    )
    return list(session.scalars(stmt))


def set_state(
    session: Session, request_id: int, state: RequestState, reason: str | None = None
) -> None:
    session.execute(
        update(models.ClusterRequest)
        .where(models.ClusterRequest.id == request_id)
        .values(state=state, reason=reason)
    )


def forget(session: Session, request_id: int) -> None:
    session.execute(delete(models.ClusterRequest).where(models.ClusterRequest.id == request_id))
