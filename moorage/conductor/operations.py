"""Running one cluster operation: lease, status transitions, driver call, outcome.

Every handler is the same three moves, described by an ``Operation``:
``begin`` (under the lease: check the status, write the *_IN_PROGRESS state and
describe the driver work), ``work`` (the driver, on a worker thread, reporting
steps), and ``finish`` (write the COMPLETE or FAILED outcome). Keeping the moves
in one place is what guarantees that no path leaves a cluster in progress.
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
from moorage.conductor.lease import Lease
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.session import transaction
from moorage.drivers import registry
from moorage.drivers.base import ClusterResult, ClusterSpec, Driver, Progress
from moorage.notify import events
from moorage.objects.status import Status

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


def load(session: Session, cluster_uuid: str) -> models.Cluster:
    cluster = session.scalar(select(models.Cluster).where(models.Cluster.uuid == cluster_uuid))
    if cluster is None:
        raise exceptions.ResourceNotFound("Cluster", cluster_uuid)
    return cluster


def driver_for(session: Session, cluster: models.Cluster) -> Driver:
    template = specs.template_of(session, cluster)
    if template.driver:
        return registry.get_by_name(template.driver)
    return registry.get(template.server_type or "vm", template.cluster_distro, template.coe or "")


def resuming(cluster: models.Cluster) -> bool:
    """The recorded operation had started when its conductor died: run it again."""
    return bool((cluster.operation or {}).get("started"))


def clear_intent(cluster: models.Cluster, method: str) -> None:
    """Forget the recorded request once ``method`` has dealt with it (not a newer one)."""
    if (cluster.operation or {}).get("method") == method:
        cluster.operation = {}


def _mark_started(cluster: models.Cluster, method: str) -> None:
    if (cluster.operation or {}).get("method") == method:
        cluster.operation = {**cluster.operation, "started": True}


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


class Runner:
    """Runs operations for one conductor (``owner`` names it in leases)."""

    def __init__(self, owner: str, submit: Callable[[Callable[[], None]], None]) -> None:
        self.owner = owner
        self._submit = submit

    def run(
        self,
        ctx: RequestContext,
        cluster_uuid: str,
        begin: Callable[[Session, models.Cluster], Plan],
        *,
        method: str,
        wait: float = 0.0,
        background: bool = False,
    ) -> None:
        """Take the lease, ``begin`` synchronously, then do the work.

        With ``background`` (RPC calls) the work continues on a worker thread
        after this returns, so the caller gets its answer once the operation has
        been accepted; errors of ``begin`` still reach the caller. The request
        recorded on the row (``cluster.operation``) stays there, marked started,
        until the outcome is written: if this conductor dies meanwhile, another
        one's reconcile loop finds it and runs it again.
        """
        lease = Lease(cluster_uuid, self.owner, CONF.conductor.lease_time).acquire(wait)
        try:
            with transaction() as session:
                cluster = load(session, cluster_uuid)
                plan = begin(session, cluster)
                _mark_started(cluster, method)
                spec = specs.cluster_spec(session, cluster)
                work = _bind(session, cluster, plan)
                data = specs.notification_data(session, cluster)
        except BaseException:
            lease.release()
            raise
        events.emit(ctx, plan.action, "pending", data)
        job = lambda: self._work(ctx, cluster_uuid, method, plan, work, spec, lease)  # noqa: E731
        if background:
            self._submit(job)
        else:
            job()

    def _work(
        self,
        ctx: RequestContext,
        cluster_uuid: str,
        method: str,
        plan: Plan,
        work: DriverlessWork,
        spec: ClusterSpec,
        lease: Lease,
    ) -> None:
        try:
            error: Exception | None = None
            with metrics.operation(method) as measured:  # in flight; duration by outcome
                try:
                    result = work(spec, DbProgress(cluster_uuid))
                except Exception as exc:  # every failure must end in a *_FAILED status
                    LOG.warning("Cluster %s: %s failed: %s", cluster_uuid, plan.action, exc)
                    error = exc
                measured.outcome = "success" if error is None else "failure"
            if error is not None:
                failure = error
                self._record(
                    ctx,
                    cluster_uuid,
                    method,
                    plan,
                    lambda s, c: _fail(s, c, plan, failure),
                    "failure",
                )
            else:
                self._record(
                    ctx,
                    cluster_uuid,
                    method,
                    plan,
                    lambda s, c: plan.on_success(s, c, result),
                    "success",
                )
        finally:
            lease.release()

    @staticmethod
    def _record(
        ctx: RequestContext, cluster_uuid: str, method: str, plan: Plan, outcome: Outcome, name: str
    ) -> None:
        data: dict[str, Any] = {"uuid": cluster_uuid, "status": Status.DELETE_COMPLETE}
        with transaction() as session:
            cluster = session.scalar(
                select(models.Cluster).where(models.Cluster.uuid == cluster_uuid)
            )
            if cluster is not None:
                clear_intent(cluster, method)
                outcome(session, cluster)
                session.flush()
                if not inspect(cluster).deleted:
                    data = specs.notification_data(session, cluster)
        events.emit(ctx, plan.action, name, data)


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


def _fail(session: Session, cluster: models.Cluster, plan: Plan, exc: Exception) -> None:
    plan.on_failure(session, cluster)
    text = str(exc) or type(exc).__name__
    cluster.status_reason = text
    for group in specs.nodegroups_of(session, cluster.uuid):
        if group.uuid in plan.nodegroups:
            group.status_reason = text
