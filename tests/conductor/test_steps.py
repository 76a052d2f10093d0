"""The step runner: each declared step recorded, resumed where safe, stopped at the deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from moorage import exceptions
from moorage.conductor.lease import Lease
from moorage.conductor.manager import ConductorManager
from moorage.conductor.steps import Limit, StepRecorder
from moorage.context import RequestContext
from moorage.db import migrate, models, requests, session
from moorage.db.session import transaction
from moorage.drivers import steps
from moorage.drivers.steps import Step
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from tests.api.conftest import wait_for
from tests.conductor.test_periodic import _row
from tests.support import factories
from tests.support.fake_driver import FakeDriver

CTX = RequestContext(user_id="alice", project_id="p", roles=("member",))


@pytest.fixture
def cluster_uuid(tmp_path: Path) -> Iterator[str]:
    session.configure(f"sqlite:///{tmp_path / 'steps.sqlite'}")
    migrate.upgrade(session.engine())
    yield factories.cluster("p", "alice", status=Status.CREATE_IN_PROGRESS).uuid
    session.engine().dispose()


_LEASES: dict[str, Lease] = {}


def recorder(uuid: str, resumed: bool = False, limit: Limit | None = None) -> StepRecorder:
    """The recorder of a conductor holding the cluster's lease (its writes are fenced)."""
    if uuid not in _LEASES:
        _LEASES[uuid] = Lease(uuid, "test-conductor", 60).acquire()
    return StepRecorder(_LEASES[uuid], 7, "cluster_create", resumed, limit)


def events(uuid: str) -> list[tuple[int, int, str, str | None]]:
    with transaction() as s:
        stmt = select(models.ClusterEvent).where(models.ClusterEvent.cluster_id == uuid)
        rows = s.scalars(stmt.order_by(models.ClusterEvent.id)).all()
        assert all(r.started_at and (r.finished_at or r.outcome is None) for r in rows)
        return [(r.index, r.total, r.step, r.outcome) for r in rows]


def reason(uuid: str) -> str:
    row = _row(uuid)
    assert row is not None
    return row.status_reason or ""


def declared(ran: list[str], fail: str | None = None, **flags: bool) -> list[Step]:
    def run(name: str) -> Callable[[], None]:
        def step() -> None:
            ran.append(name)
            if name == fail:
                raise exceptions.DriverError(f"{name} broke")

        return step

    return [Step(n, run(n), flags.get(n, True)) for n in ("network", "nodes", "join")]


def test_each_step_is_recorded_and_named_in_status_reason(cluster_uuid: str) -> None:
    seen: list[str] = []
    progress = recorder(cluster_uuid)

    def look() -> None:
        progress.step("detail")
        seen.append(reason(cluster_uuid))

    steps.run(progress, [Step("a", lambda: seen.append(reason(cluster_uuid))), Step("b", look)])
    assert seen == ["step 1/2: a", "step 2/2: b: detail"]
    assert events(cluster_uuid) == [(1, 2, "a", "success"), (2, 2, "b", "success")]


def test_a_failing_step_is_recorded_and_stops_the_operation(cluster_uuid: str) -> None:
    ran: list[str] = []
    with pytest.raises(exceptions.DriverError, match="nodes broke"):
        steps.run(recorder(cluster_uuid), declared(ran, fail="nodes"))
    assert ran == ["network", "nodes"]
    assert events(cluster_uuid) == [(1, 3, "network", "success"), (2, 3, "nodes", "failure")]
    with transaction() as s:
        message = s.scalar(
            select(models.ClusterEvent.message).order_by(models.ClusterEvent.id.desc())
        )
    assert message == "nodes broke"


def test_a_resumed_request_continues_at_its_first_unfinished_step(cluster_uuid: str) -> None:
    ran: list[str] = []
    with pytest.raises(exceptions.DriverError):
        steps.run(recorder(cluster_uuid), declared(ran, fail="join"))
    ran.clear()
    steps.run(recorder(cluster_uuid, resumed=True), declared(ran))
    assert ran == ["join"]
    assert events(cluster_uuid)[3:] == [
        (1, 3, "network", "skipped"),
        (2, 3, "nodes", "skipped"),
        (3, 3, "join", "success"),
    ]


def test_a_resume_starts_over_where_the_step_is_not_resumable(cluster_uuid: str) -> None:
    ran: list[str] = []
    with pytest.raises(exceptions.DriverError):
        steps.run(recorder(cluster_uuid), declared(ran, fail="join"))
    ran.clear()
    steps.run(recorder(cluster_uuid, resumed=True), declared(ran, join=False))
    assert ran == ["network", "nodes", "join"]


def test_a_request_that_is_not_resumed_runs_every_step(cluster_uuid: str) -> None:
    ran: list[str] = []
    steps.run(recorder(cluster_uuid), declared(ran))
    ran.clear()
    steps.run(recorder(cluster_uuid), declared(ran))
    assert ran == ["network", "nodes", "join"]


def test_the_deadline_fails_the_operation_naming_the_running_step(cluster_uuid: str) -> None:
    ran: list[str] = []
    limit = Limit(time.monotonic() + 0.3, 1)
    slow = [Step("slow", lambda: time.sleep(0.5)), *declared(ran)]
    with pytest.raises(exceptions.OperationTimedOut) as caught:
        steps.run(recorder(cluster_uuid, limit=limit), slow)
    assert str(caught.value) == "create_timeout of 1 minute(s) ran out during step 1/4: slow"
    assert ran == []  # the running step finished; no other one started
    assert events(cluster_uuid) == [(1, 4, "slow", "success")]


def test_waits_inside_a_step_end_at_the_deadline(cluster_uuid: str) -> None:
    progress = recorder(cluster_uuid, limit=Limit(time.monotonic() + 30, 1))
    assert 28 < steps.time_left(progress, 90.0) <= 30
    assert steps.time_left(progress, 5.0) == 5.0
    assert steps.time_left(recorder(cluster_uuid), 90.0) == 90.0


def test_a_step_failing_after_the_deadline_names_the_timeout(cluster_uuid: str) -> None:
    def wait() -> None:
        time.sleep(0.3)
        raise exceptions.DriverError("wait for nodes to be Ready: timed out")

    limit = Limit(time.monotonic() + 0.2, 2)
    with pytest.raises(exceptions.OperationTimedOut) as caught:
        steps.run(recorder(cluster_uuid, limit=limit), [Step("ready", wait)])
    assert str(caught.value) == (
        "create_timeout of 2 minute(s) ran out during step 1/1: ready: "
        "wait for nodes to be Ready: timed out"
    )


def test_the_conductor_fails_a_create_past_its_create_timeout(cluster_uuid: str) -> None:
    """create_timeout counts from the cluster's creation, so a create resumed too late
    fails at once (CREATE_FAILED) naming the step it would have run."""
    with transaction() as s:
        s.execute(
            update(models.Cluster)
            .where(models.Cluster.uuid == cluster_uuid)
            .values(create_timeout=1, created_at=models.utcnow() - timedelta(minutes=2))
        )
        requests.record(s, cluster_uuid, Operation.CLUSTER_CREATE, {}, CTX.to_dict())
    manager = ConductorManager("conductor-steps", workers=1)
    try:
        manager.cluster_create(CTX, cluster_uuid)
        row = wait_for(lambda: (r := _row(cluster_uuid)) and r.status == Status.CREATE_FAILED and r)
    finally:
        manager.shutdown()
    assert row.status_reason == (
        "create_timeout of 1 minute(s) ran out during step 1/3: create network"
    )
    assert not [c for c in FakeDriver.calls if c[1] == cluster_uuid]
