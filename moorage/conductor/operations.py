"""Running one recorded request: status transitions, driver call, outcome.

Every handler is the same three moves, described by a ``Plan``: ``begin`` (under
the lease: check the status, write the *_IN_PROGRESS state and describe the
driver work), ``work`` (the driver, reporting steps), and the outcome (the
COMPLETE or FAILED state the transition table gives, and the request's end state
with it). Keeping the moves in one place is what guarantees that no path leaves a
cluster in progress; every write among them is fenced by the cluster's lease, so
a conductor that lost it stops at its next write and leaves the rest to the new
holder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from moorage import exceptions, metrics
from moorage.conductor import specs, states, steps
from moorage.conductor.lease import Lease, LeaseLost, fenced
from moorage.context import RequestContext
from moorage.db import models, requests
from moorage.drivers.base import ClusterResult, ClusterSpec, Driver, Progress
from moorage.notify import events
from moorage.objects.requests import Operation, RequestState
from moorage.objects.status import Status
from moorage.services import templates
from moorage.services.clusters import load

LOG = logging.getLogger(__name__)

Work = Callable[[Driver, ClusterSpec, Progress], ClusterResult | None]
Outcome = Callable[[Session, models.Cluster], None]
Done = Callable[[Session, models.Cluster, ClusterResult | None], None]
DriverlessWork = Callable[[ClusterSpec, Progress], ClusterResult | None]

# What ``driver_for`` raises when nothing installed can run a cluster: its driver's
# entry point was uninstalled or disabled, or its template row names nothing installed.
DRIVER_MISSING = (exceptions.ClusterDriverNotSupported, exceptions.ClusterTypeNotSupported)


@dataclass
class Plan:
    """What ``begin`` decided: the driver work and what its outcome records.

    The statuses of the cluster and of ``nodegroups`` end by the transition table
    (``states.finish``); ``done`` and ``undo`` record what else success or failure
    changes.
    """

    action: str  # notification action: create, update or delete
    work: Work
    nodegroups: list[str] = field(default_factory=list)  # whose status moves with the cluster's
    done: Done | None = None  # None: copy the driver's result (``apply_result``)
    undo: Outcome | None = None
    # The work when the cluster's driver is missing; None: the operation fails at once.
    without_driver: DriverlessWork | None = None


# Under the lease: check the cluster, write the *_IN_PROGRESS state and describe the
# work; told whether the request had begun before (its conductor died), and None
# when nothing is left for the driver to do.
Begin = Callable[[Session, models.Cluster, bool], Plan | None]


@dataclass(frozen=True)
class Recorded:
    """A request read from ``cluster_request``, outside any session."""

    id: int
    cluster_uuid: str
    operation: str
    arguments: dict[str, Any]
    context: dict[str, Any]
    resumed: bool  # begun before by a conductor that did not finish it

    @classmethod
    def of(cls, row: models.ClusterRequest) -> Recorded:
        return cls(
            row.id,
            row.cluster_id,
            row.operation,
            dict(row.arguments or {}),
            dict(row.context or {}),
            row.state == RequestState.RUNNING,
        )


driver_for = templates.driver_of


def apply_result(session: Session, cluster: models.Cluster, result: ClusterResult | None) -> None:
    """Copy what the driver reported onto the cluster and its node groups."""
    if result is None:
        return
    for key in ("api_address", "stack_id", "coe_version", "container_version"):
        value = getattr(result, key)
        if value is not None:
            setattr(cluster, key, value)
    for group in specs.nodegroups_of(session, cluster.uuid):
        if group.name in result.node_addresses:
            group.node_addresses = list(result.node_addresses[group.name])
        if group.name in result.nodes:
            group.nodes = [node.to_json() for node in result.nodes[group.name]]
        if result.stack_id:
            group.stack_id = result.stack_id


def start(
    ctx: RequestContext, request: Recorded, begin: Begin, lease: Lease
) -> Callable[[], None] | None:
    """``begin`` and mark the request running, in one transaction; the work to do next.

    ``lease`` is the cluster's, held by the caller. ``None`` when ``begin`` found
    nothing for the driver to do: the request is complete. An error of ``begin``
    leaves the cluster and the request as they were.
    """
    with fenced(lease) as session:
        cluster = load(session, request.cluster_uuid)
        plan = begin(session, cluster, request.resumed)
        if plan is None:
            requests.set_state(session, request.id, RequestState.COMPLETE)
            return None
        requests.set_state(session, request.id, RequestState.RUNNING)
        spec = specs.cluster_spec(session, cluster)
        work = _bind(session, cluster, plan)
        data = specs.notification_data(session, cluster)
        progress = _progress(request, cluster, lease)
    events.emit(ctx, plan.action, "pending", data)
    return lambda: _work(ctx, request, plan, work, spec, progress, lease)


def _progress(request: Recorded, cluster: models.Cluster, lease: Lease) -> steps.StepRecorder:
    """The step runner; a create must end ``create_timeout`` minutes after the cluster
    was created (Magnum's unit), resumed or not."""
    limit = None
    minutes = cluster.create_timeout
    if request.operation == Operation.CLUSTER_CREATE and minutes and cluster.created_at:
        left = cluster.created_at + timedelta(minutes=minutes) - models.utcnow()
        limit = steps.Limit(time.monotonic() + left.total_seconds(), minutes)
    return steps.StepRecorder(lease, request.id, request.operation, request.resumed, limit)


def _bind(session: Session, cluster: models.Cluster, plan: Plan) -> DriverlessWork:
    """The plan's work with the cluster's driver.

    Without a driver the operation still runs its course, so the cluster never
    waits in *_IN_PROGRESS for a driver that will not come: it fails at once with
    the reason naming the driver, or, for a plan that can do without (a delete),
    goes on without it.
    """
    try:
        driver = driver_for(session, cluster)
    except DRIVER_MISSING as exc:
        LOG.warning("Cluster %s: %s: %s", cluster.uuid, plan.action, exc)
        if plan.without_driver is not None:
            return plan.without_driver
        missing = exc

        def refuse(_spec: ClusterSpec, _progress: Progress) -> None:
            raise missing

        return refuse
    return lambda spec, progress: plan.work(driver, spec, progress)


def _work(
    ctx: RequestContext,
    request: Recorded,
    plan: Plan,
    work: DriverlessWork,
    spec: ClusterSpec,
    progress: Progress,
    lease: Lease,
) -> None:
    """The driver work, then its outcome; LeaseLost when the lease went meanwhile."""
    error: Exception | None = None
    with metrics.operation(request.operation) as measured:  # in flight; duration by outcome
        try:
            result = work(spec, progress)
        except LeaseLost:
            raise  # a step found the lease lost: nothing more is ours to write
        except exceptions.ServiceUnavailable:
            # A step could not be recorded: the database, not the driver, failed. The
            # request stays RUNNING and reconcile resumes it (from the first step not
            # done, where that is safe) instead of failing a cluster that is fine.
            LOG.warning(
                "Cluster %s: %s interrupted: database unreachable",
                request.cluster_uuid,
                plan.action,
            )
            raise
        except Exception as exc:  # every failure must end in a *_FAILED status
            LOG.warning("Cluster %s: %s failed: %s", request.cluster_uuid, plan.action, exc)
            error = exc
        measured.outcome = "success" if error is None else "failure"
    if error is None:
        _record(ctx, request, plan, lease, result, None)
    else:
        _record(ctx, request, plan, lease, None, str(error) or type(error).__name__)


def _record(
    ctx: RequestContext,
    request: Recorded,
    plan: Plan,
    lease: Lease,
    result: ClusterResult | None,
    failure: str | None,
) -> None:
    """The outcome and the request's end state, in one transaction fenced by the lease."""
    data: dict[str, Any] = {"uuid": request.cluster_uuid, "status": Status.DELETE_COMPLETE}
    with fenced(lease) as session:
        cluster = load(session, request.cluster_uuid)
        if failure is None:
            requests.set_state(session, request.id, RequestState.COMPLETE)
            states.finish(session, cluster, plan.nodegroups, success=True)
            (plan.done or apply_result)(session, cluster, result)
        else:
            requests.set_state(session, request.id, RequestState.FAILED)
            if plan.undo is not None:
                plan.undo(session, cluster)
            states.finish(session, cluster, plan.nodegroups, success=False, reason=failure)
        session.flush()
        if not inspect(cluster).deleted:
            data = specs.notification_data(session, cluster)
    events.emit(ctx, plan.action, "success" if failure is None else "failure", data)
