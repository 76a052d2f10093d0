"""Recording what is asked of a cluster: the queue of requests, then the cast."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from moorage.context import RequestContext
from moorage.db import models, requests
from moorage.objects.requests import Operation
from moorage.rpc import api as rpc_api

LOG = logging.getLogger(__name__)


def dispatch(
    session: Session,
    ctx: RequestContext,
    cluster: models.Cluster,
    operation: Operation,
    **arguments: Any,
) -> None:
    """Append the request to the cluster's queue, and cast it once that is committed.

    The record is what the conductor runs, in order after the requests before it,
    and what the reconcile loop runs when the cast is lost.
    """
    requests.record(session, cluster.uuid, operation, arguments, ctx.to_dict())

    def nudge(_session: Session) -> None:
        try:
            rpc_api.request(ctx, operation, cluster.uuid, **arguments)
        except Exception:  # the request is stored; reconcile runs it later
            LOG.warning("Cast %s for %s failed", operation, cluster.uuid, exc_info=True)

    event.listen(session, "after_commit", nudge, once=True)
