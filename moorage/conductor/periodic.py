"""The conductor's periodic tasks: heartbeat, health polling, reconcile.

Reconcile is what makes the DB, not the bus, the source of truth: a cluster
whose recorded requests (``cluster_request``) were never run, or whose
conductor died (its lease expired), has its queue run again. Drivers'
operations are safe to repeat, so resuming means running the operation again.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm.attributes import flag_modified

from moorage import metrics
from moorage.conductor import specs, states
from moorage.conductor.lease import LeaseHeld, fenced
from moorage.conductor.manager import ConductorManager, overrides
from moorage.conductor.operations import driver_for
from moorage.config import CONF
from moorage.context import admin_context
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction
from moorage.objects.requests import UNFINISHED
from moorage.objects.status import IN_PROGRESS, UPDATE_ALLOWED, Health, Status
from moorage.services import clusters

LOG = logging.getLogger(__name__)

BINARY = "magnum-conductor"
HEALTH_POLLED = (
    Status.CREATE_COMPLETE,
    Status.UPDATE_COMPLETE,
    Status.UPDATE_FAILED,
    Status.UPDATE_IN_PROGRESS,
    Status.CREATE_FAILED,
)


def heartbeat(host: str) -> None:
    """Create this conductor's mservices row if needed and count one more beat."""
    with transaction() as session:
        row = session.scalar(
            select(models.MagnumService).where(
                models.MagnumService.host == host, models.MagnumService.binary == BINARY
            )
        )
        if row is None:
            row = models.MagnumService(host=host, binary=BINARY, report_count=0)
            session.add(row)
        row.report_count = (row.report_count or 0) + 1
        row.last_seen_up = utcnow()


def poll_health(manager: ConductorManager) -> None:
    with transaction() as session:
        stmt = select(models.Cluster.uuid).where(models.Cluster.status.in_(HEALTH_POLLED))
        uuids = list(session.scalars(stmt))
    for uuid in uuids:
        try:
            _poll_one(manager, uuid)
        except Exception as exc:  # one broken cluster must not stop the others' polling
            LOG.warning("Health poll of cluster %s failed: %s", uuid, exc)


def _poll_one(manager: ConductorManager, uuid: str) -> None:
    with transaction() as session:
        cluster = clusters.get(session, uuid)
        if cluster is None:
            return
        driver = driver_for(session, cluster)
        spec = specs.cluster_spec(session, cluster)
    report = driver.poll_health(spec)
    if report is None:
        return
    with transaction() as session:
        cluster = clusters.get(session, uuid)
        if cluster is None:
            return
        # Down at two polls in a row: a node that stays down, not one restarting.
        stays_down = cluster.health_status == Health.UNHEALTHY == report.status
        cluster.health_status = report.status
        cluster.health_status_reason = report.reason
        if cluster.updated_at is not None:
            flag_modified(cluster, "updated_at")  # polling is not a change clients wait for
        heal = (
            stays_down
            and str((cluster.labels or {}).get("auto_healing_enabled", "")).lower() == "true"
            and cluster.status in UPDATE_ALLOWED
            and overrides(driver, "heal_cluster")
        )
    if heal:
        LOG.warning("Cluster %s stays unhealthy; auto-healing it", uuid)
        manager.cluster_heal(admin_context(), uuid, report)


def reconcile(manager: ConductorManager) -> int:
    """Take over every cluster that no live conductor is working on but should be.

    A cluster with unfinished recorded requests gets its queue run again (the one
    its conductor had begun first, resumed); an operation in progress with nothing
    recorded cannot be resumed and is failed with a reason, so that no cluster
    stays ``*_IN_PROGRESS``.
    """
    now = utcnow()
    stale = now - timedelta(seconds=CONF.conductor.lease_time)
    table, request = models.Cluster, models.ClusterRequest
    unleased = or_(table.lease_owner.is_(None), table.lease_expires_at < now)
    with transaction() as session:
        waiting = set(
            session.scalars(
                select(table.uuid)
                .join(request, request.cluster_id == table.uuid)
                .where(unleased, request.state.in_(UNFINISHED), request.created_at < stale)
            )
        )
        abandoned = set(
            session.scalars(
                select(table.uuid).where(
                    unleased,
                    table.status.in_(IN_PROGRESS),
                    func.coalesce(table.updated_at, table.created_at) < stale,  # never updated
                    ~exists().where(
                        request.cluster_id == table.uuid, request.state.in_(UNFINISHED)
                    ),
                )
            )
        )
    for uuid in waiting:
        LOG.warning("Cluster %s: taking over requests left unfinished", uuid)
        metrics.lease_takeover("redispatch")
        manager.queue.process(uuid)
    for uuid in abandoned:
        _fail_abandoned(uuid, manager)
    return len(waiting) + len(abandoned)


_ABANDONED = (
    "The conductor running this operation stopped before it finished, and the "
    "operation cannot be resumed; run it again."
)


def _fail_abandoned(uuid: str, manager: ConductorManager) -> None:
    try:
        lease = manager.queue.lease(uuid).acquire()
    except LeaseHeld:
        return  # a conductor (or another thread of this one) took it meanwhile
    try:
        with fenced(lease) as session:
            cluster = clusters.get(session, uuid)
            if cluster is None or cluster.status not in IN_PROGRESS:
                return
            was = cluster.status
            groups = [g.uuid for g in specs.nodegroups_of(session, uuid)]
            failed = states.finish(session, cluster, groups, success=False, reason=_ABANDONED)
            LOG.warning("Cluster %s: %s abandoned, now %s", uuid, was, failed)
            metrics.lease_takeover("abandoned")
    finally:
        manager.queue.give_back(lease)


class Periodic:
    """Runs the periodic tasks on one daemon thread until stopped."""

    def __init__(self, manager: ConductorManager) -> None:
        self.manager = manager
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="conductor-periodic")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        tasks = [
            (heartbeat_interval(), lambda: heartbeat(CONF.host)),
            (CONF.conductor.reconcile_interval, lambda: reconcile(self.manager)),
        ]
        if CONF.kubernetes.health_polling_interval >= 0:
            tasks.append(
                (max(CONF.kubernetes.health_polling_interval, 1), lambda: poll_health(self.manager))
            )
        due = [0.0] * len(tasks)
        elapsed = 0.0
        while not self._stop.is_set():
            for i, (interval, task) in enumerate(tasks):
                if elapsed >= due[i]:
                    due[i] = elapsed + interval
                    _safely(task)
            wait = max(min(due) - elapsed, 0.1)
            self._stop.wait(wait)
            elapsed += wait


def heartbeat_interval() -> int:
    """Beat often enough that a live conductor is never shown as down."""
    return max(1, min(CONF.periodic_interval_max, CONF.service_down_time // 3))


def _safely(task: object) -> None:
    try:
        task()  # type: ignore[operator]
    except Exception as exc:  # the loop must survive a DB outage or a driver bug
        LOG.warning("Periodic task failed: %s", exc)
