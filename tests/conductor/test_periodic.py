"""The conductor's periodic tasks: heartbeat, reconcile and take-over, health and auto-healing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from moorage import exceptions
from moorage.conductor import operations, periodic
from moorage.conductor.manager import ConductorManager
from moorage.conductor.steps import StepRecorder
from moorage.context import RequestContext
from moorage.db import migrate, models, requests, session
from moorage.db.models import utcnow
from moorage.db.session import transaction
from moorage.drivers.base import ClusterResult, ClusterSpec, HealthReport, Progress
from moorage.objects.requests import Operation, RequestState
from moorage.objects.status import Status
from tests.support import fake_driver
from tests.support.factories import make_cluster

CTX = RequestContext(user_id="alice", project_id="p", roles=("member",))


class HealingDriver(fake_driver.FakeDriver):
    """The test driver, with a health report the test sets and a heal that records calls."""

    report = HealthReport("HEALTHY", {"api": "ok"})
    healed: list[str] = []

    def poll_health(self, spec: ClusterSpec) -> HealthReport:
        return self.report

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        self.healed.append(spec.uuid)
        progress.step("replace node-1")
        return self._result(spec)


@pytest.fixture
def manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConductorManager]:
    session.configure(f"sqlite:///{tmp_path / 'conductor.sqlite'}")
    migrate.upgrade(session.engine())
    monkeypatch.setattr(fake_driver, "DRIVER", HealingDriver)
    HealingDriver.healed = []
    HealingDriver.report = HealthReport("HEALTHY", {"api": "ok"})
    conductor = ConductorManager("conductor-b", workers=2)
    yield conductor
    conductor.shutdown()
    session.engine().dispose()


def _cluster(status: Status, **columns: object) -> str:
    with transaction() as s:
        cluster = make_cluster(s, "p", "alice", status=status)
        for key, value in columns.items():
            setattr(cluster, key, value)
        return cluster.uuid


def _age(uuid: str, seconds: int = 3600, **values: object) -> None:
    """Make the row look untouched for a while (its conductor is long gone)."""
    with transaction() as s:
        s.execute(
            update(models.Cluster)
            .where(models.Cluster.uuid == uuid)
            .values(updated_at=utcnow() - timedelta(seconds=seconds), **values)
        )


def _record(uuid: str, operation: str, seconds: int = 3600, **arguments: object) -> int:
    """A request recorded ``seconds`` ago, as the API records it."""
    with transaction() as s:
        row = requests.record(s, uuid, Operation(operation), arguments, CTX.to_dict())
        row.created_at = utcnow() - timedelta(seconds=seconds)
        return row.id


def _states(uuid: str) -> list[str]:
    with transaction() as s:
        stmt = select(models.ClusterRequest).where(models.ClusterRequest.cluster_id == uuid)
        return [r.state for r in s.scalars(stmt.order_by(models.ClusterRequest.id))]


def _row(uuid: str) -> models.Cluster | None:
    with transaction() as s:
        return s.scalar(select(models.Cluster).where(models.Cluster.uuid == uuid))


def test_heartbeat_counts(manager: ConductorManager) -> None:
    periodic.heartbeat("host-x")
    periodic.heartbeat("host-x")
    with transaction() as s:
        row = s.scalars(select(models.MagnumService)).one()
        assert (row.host, row.binary, row.report_count) == ("host-x", "magnum-conductor", 2)
        assert row.last_seen_up is not None


def test_a_lost_cast_is_dispatched_again(manager: ConductorManager) -> None:
    uuid = _cluster(Status.CREATE_IN_PROGRESS, ca_cert_ref=None, magnum_cert_ref=None)
    _age(uuid)
    _record(uuid, "cluster_create")
    assert periodic.reconcile(manager) == 1
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_COMPLETE
    assert _states(uuid) == ["COMPLETE"]
    assert row.api_address is not None and row.ca_cert_ref is not None


def test_an_operation_whose_conductor_died_is_resumed(manager: ConductorManager) -> None:
    uuid = _cluster(Status.UPDATE_IN_PROGRESS)
    with transaction() as s:
        worker = s.scalar(
            select(models.NodeGroup).where(
                models.NodeGroup.cluster_id == uuid, models.NodeGroup.role == "worker"
            )
        )
        assert worker is not None
        worker_uuid = worker.uuid
    request = _record(
        uuid, "cluster_resize", node_count=3, nodes_to_remove=[], nodegroup_uuid=worker_uuid
    )
    with transaction() as s:
        requests.set_state(s, request, RequestState.RUNNING)
    _age(
        uuid,
        lease_owner="conductor-a:dead",
        lease_expires_at=utcnow() - timedelta(seconds=1),
    )
    periodic.reconcile(manager)
    row = _row(uuid)
    assert row is not None and (row.status, row.lease_owner) == (Status.UPDATE_COMPLETE, None)
    assert _states(uuid) == ["COMPLETE"]
    assert ("resize default-worker", uuid) in HealingDriver.calls


def test_a_live_lease_is_left_alone(manager: ConductorManager) -> None:
    uuid = _cluster(Status.CREATE_IN_PROGRESS)
    _record(uuid, "cluster_create")
    _age(
        uuid,
        lease_owner="conductor-a:alive",
        lease_expires_at=utcnow() + timedelta(seconds=60),
    )
    assert periodic.reconcile(manager) == 0
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_IN_PROGRESS
    assert _states(uuid) == ["PENDING"]


def test_an_unresumable_operation_is_failed_with_a_reason(manager: ConductorManager) -> None:
    uuid = _cluster(Status.UPDATE_IN_PROGRESS)
    _age(uuid)
    periodic.reconcile(manager)
    row = _row(uuid)
    assert row is not None and row.status == Status.UPDATE_FAILED
    assert "stopped before it finished" in (row.status_reason or "")
    assert row.lease_owner is None


def test_health_is_written_and_a_node_that_stays_down_is_healed(manager: ConductorManager) -> None:
    plain = _cluster(Status.CREATE_COMPLETE)
    healing = _cluster(Status.CREATE_COMPLETE, labels={"auto_healing_enabled": "true"})
    HealingDriver.report = HealthReport("UNHEALTHY", {"api": "ok", "node-1.Ready": "False"})
    periodic.poll_health(manager)
    assert HealingDriver.healed == []  # down once could be a restart
    row = _row(healing)
    assert row is not None and row.health_status == "UNHEALTHY"
    assert row.health_status_reason == {"api": "ok", "node-1.Ready": "False"}
    periodic.poll_health(manager)
    assert HealingDriver.healed == [healing]
    row = _row(healing)
    assert row is not None and row.status == Status.UPDATE_COMPLETE
    other = _row(plain)
    assert other is not None and other.status == Status.CREATE_COMPLETE


def test_a_request_just_recorded_is_left_to_its_cast(manager: ConductorManager) -> None:
    uuid = _cluster(Status.CREATE_COMPLETE)
    _age(uuid)  # an old cluster, a request recorded a moment ago
    _record(uuid, "cluster_delete", seconds=0)
    assert periodic.reconcile(manager) == 0
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_COMPLETE
    assert _states(uuid) == ["PENDING"]


def test_health_polls_leave_updated_at_alone(manager: ConductorManager) -> None:
    uuid = _cluster(Status.CREATE_COMPLETE)
    _age(uuid)
    before = _row(uuid)
    HealingDriver.report = HealthReport("UNHEALTHY", {"api": "ok"})
    periodic.poll_health(manager)
    after = _row(uuid)
    assert before is not None and after is not None
    assert after.health_status == "UNHEALTHY" and after.updated_at == before.updated_at


def test_a_cast_refused_while_the_database_is_down_is_run_later(
    manager: ConductorManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 (database or bus unreachable) is no refusal for good: the request stays
    recorded and reconcile runs it, instead of failing the cluster as abandoned."""
    uuid = _cluster(Status.CREATE_IN_PROGRESS, ca_cert_ref=None, magnum_cert_ref=None)
    _age(uuid)
    _record(uuid, "cluster_create")

    def unavailable(*args: object, **kwargs: object) -> None:
        raise exceptions.ServiceUnavailable()

    with monkeypatch.context() as outage:
        outage.setattr(operations, "start", unavailable)
        with pytest.raises(exceptions.ServiceUnavailable):
            manager.cluster_create(CTX, uuid)
    assert _states(uuid) == ["PENDING"]
    periodic.reconcile(manager)
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_COMPLETE
    assert _states(uuid) == ["COMPLETE"]


def test_an_operation_cut_off_from_the_database_is_resumed_not_failed(
    manager: ConductorManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that cannot be recorded (the database restarts) is no driver failure: the
    cluster stays CREATE_IN_PROGRESS and reconcile finishes the create."""
    uuid = _cluster(Status.CREATE_IN_PROGRESS, ca_cert_ref=None, magnum_cert_ref=None)
    _age(uuid)
    _record(uuid, "cluster_create")
    original = StepRecorder._run
    outages = [exceptions.ServiceUnavailable()]

    def flaky(self: StepRecorder, *args: Any, **kwargs: Any) -> None:
        if outages:
            raise outages.pop()
        original(self, *args, **kwargs)

    monkeypatch.setattr(StepRecorder, "_run", flaky)
    with pytest.raises(exceptions.ServiceUnavailable):
        manager.cluster_create(CTX, uuid)
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_IN_PROGRESS
    assert _states(uuid) == ["RUNNING"]
    _age(uuid)
    with transaction() as s:  # its conductor is gone: the lease has run out
        s.execute(
            update(models.Cluster)
            .where(models.Cluster.uuid == uuid)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    periodic.reconcile(manager)
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_COMPLETE
    assert _states(uuid) == ["COMPLETE"]
