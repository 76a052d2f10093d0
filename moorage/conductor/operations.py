"""Running one recorded request: status transitions, driver call, outcome.

Every handler is the same three moves, described by a ``Plan``: ``begin`` (under
the lease: check the status, write the *_IN_PROGRESS state and describe the
driver work), ``work`` (the driver, reporting steps), and ``finish`` (write the
COMPLETE or FAILED outcome, and the request's end state with it). Keeping the
moves in one place is what guarantees that no path leaves a cluster in progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from moorage import exceptions, metrics
from moorage.conductor import specs
from moorage.context import RequestContext
from moorage.db import models, requests
from moorage.db.session import transaction
from moorage.drivers import providers, registry
from moorage.drivers.base import ClusterResult, ClusterSpec, Driver, Progress
from moorage.notify import events
from moorage.objects.requests import RequestState
from moorage.objects.status import Status
from moorage.services.clusters import load

LOG = logging.getLogger(__name__)

Work = Callable[[Driver, ClusterSpec, Progress], ClusterResult | None]
DriverlessWork = Callable[[ClusterSpec, Progress], ClusterResult | None]
Outcome = Callable[[Session, models.Cluster], None]

# What ``driver_for`` raises when nothing installed can run a cluster: its driver's
# entry point was uninstalled or disabled, or its template row names nothing installed.
DRIVER_MISSING = (exceptions.ClusterDriverNotSupported, exceptions.ClusterTypeNotSupported)


@dataclass
class Plan:
    """What ``begin`` decided: the driver work and how to record its outcome."""

    action: str  # notification action: create, update or delete
    work: Work
    on_success: Callable[[Session, models.Cluster, ClusterResult | None], None]
    on_failure: Outcome
    nodegroups: list[str] = field(default_factory=list)
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


def driver_for(session: Session, cluster: models.Cluster) -> Driver:
    template = specs.template_of(session, cluster)
    provider = providers.name_for(template.labels or {})
    if template.driver:
        return registry.get_by_name(template.driver, provider)
    coe = template.coe or ""
    return registry.get(template.server_type or "vm", template.cluster_distro, coe, provider)


class DbProgress:
    """Writes each step to the cluster's status_reason, so a person sees where it is."""

    def __init__(self, cluster_uuid: str) -> None:
        self.cluster_uuid = cluster_uuid

    def step(self, name: str) -> None:
        with transaction() as session:
            load(session, self.cluster_uuid).status_reason = name


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
        if result.stack_id:
            group.stack_id = result.stack_id


def set_status(
    session: Session,
    cluster: models.Cluster,
    status: Status,
    reason: str | None,
    nodegroups: list[str],
) -> None:
    cluster.status = status
    cluster.status_reason = reason
    for group in specs.nodegroups_of(session, cluster.uuid):
        if group.uuid in nodegroups:
            group.status = status
            group.status_reason = reason


def start(ctx: RequestContext, request: Recorded, begin: Begin) -> Callable[[], None] | None:
    """``begin`` and mark the request running, in one transaction; the work to do next.

    The caller holds the cluster's lease. ``None`` when ``begin`` found nothing for
    the driver to do: the request is complete. An error of ``begin`` leaves the
    cluster and the request as they were.
    """
    with transaction() as session:
        cluster = load(session, request.cluster_uuid)
        plan = begin(session, cluster, request.resumed)
        if plan is None:
            requests.set_state(session, request.id, RequestState.COMPLETE)
            return None
        requests.set_state(session, request.id, RequestState.RUNNING)
        spec = specs.cluster_spec(session, cluster)
        work = _bind(session, cluster, plan)
        data = specs.notification_data(session, cluster)
    events.emit(ctx, plan.action, "pending", data)
    return lambda: _work(ctx, request, plan, work, spec)


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
    ctx: RequestContext, request: Recorded, plan: Plan, work: DriverlessWork, spec: ClusterSpec
) -> None:
    error: Exception | None = None
    with metrics.operation(request.operation) as measured:  # in flight; duration by outcome
        try:
            result = work(spec, DbProgress(request.cluster_uuid))
        except Exception as exc:  # every failure must end in a *_FAILED status
            LOG.warning("Cluster %s: %s failed: %s", request.cluster_uuid, plan.action, exc)
            error = exc
        measured.outcome = "success" if error is None else "failure"
    if error is not None:
        failure = error
        _record(ctx, request, plan, lambda s, c: _fail(s, c, plan, failure), RequestState.FAILED)
    else:
        outcome: Outcome = lambda s, c: plan.on_success(s, c, result)  # noqa: E731
        _record(ctx, request, plan, outcome, RequestState.COMPLETE)


def _record(
    ctx: RequestContext, request: Recorded, plan: Plan, outcome: Outcome, state: RequestState
) -> None:
    """The outcome and the request's end state, in one transaction."""
    data: dict[str, Any] = {"uuid": request.cluster_uuid, "status": Status.DELETE_COMPLETE}
    with transaction() as session:
        cluster = session.scalar(
            select(models.Cluster).where(models.Cluster.uuid == request.cluster_uuid)
        )
        if cluster is not None:
            requests.set_state(session, request.id, state)
            outcome(session, cluster)
            session.flush()
            if not inspect(cluster).deleted:
                data = specs.notification_data(session, cluster)
    name = "success" if state == RequestState.COMPLETE else "failure"
    events.emit(ctx, plan.action, name, data)


def _fail(session: Session, cluster: models.Cluster, plan: Plan, exc: Exception) -> None:
    plan.on_failure(session, cluster)
    text = str(exc) or type(exc).__name__
    cluster.status_reason = text
    for group in specs.nodegroups_of(session, cluster.uuid):
        if group.uuid in plan.nodegroups:
            group.status_reason = text
