"""The lease fences: a conductor whose lease was taken over writes nothing more.

The first conductor here is cut off (its lease expired and ``conductor-c`` took
it) while its driver works; what it writes afterwards must not land, and it must
stop instead of running the cluster's next request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from moorage.conductor import lease
from moorage.conductor.manager import ConductorManager
from moorage.config import CONF
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction
from moorage.drivers.base import ClusterResult, ClusterSpec, Progress
from moorage.objects.status import Status
from tests.api.conftest import wait_for
from tests.conductor.test_periodic import CTX, _cluster, _record, _row, _states, manager
from tests.support import fake_driver

__all__ = ["manager"]  # the fixture


class GatedDriver(fake_driver.FakeDriver):
    """Creates in two steps and waits at a gate after the first (``step_after_gate``)."""

    delay = 0.0
    entered = threading.Event()
    gate = threading.Event()
    step_after_gate = False

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        self._step(progress, spec, "create nodes")
        self.entered.set()
        assert self.gate.wait(30)
        if self.step_after_gate:
            self._step(progress, spec, "join nodes")
        return self._result(spec)


@pytest.fixture
def gated(manager: ConductorManager, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConductorManager]:
    monkeypatch.setattr(fake_driver, "DRIVER", GatedDriver)
    GatedDriver.entered, GatedDriver.gate = threading.Event(), threading.Event()
    GatedDriver.calls = []
    yield manager
    GatedDriver.gate.set()


def _creating(manager: ConductorManager) -> tuple[str, threading.Event]:
    """A create that conductor-b is running, with a delete recorded behind it; set when
    conductor-b is done (a thread that ran an operation is never seen to end by join)."""
    uuid = _cluster(Status.CREATE_IN_PROGRESS)
    _record(uuid, "cluster_create")
    _record(uuid, "cluster_delete")
    done = threading.Event()

    def run() -> None:
        manager.process_requests(CTX, uuid)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert GatedDriver.entered.wait(10)
    return uuid, done


def _take_over(uuid: str) -> None:
    """conductor-b's lease expired (it was cut off) and conductor-c took it."""
    _set_lease(uuid, lease_expires_at=utcnow() - timedelta(seconds=1))
    assert lease.try_take(uuid, "conductor-c", 60)


def _set_lease(uuid: str, **values: object) -> None:
    with transaction() as s:
        s.execute(update(models.Cluster).where(models.Cluster.uuid == uuid).values(**values))


def test_a_conductor_whose_lease_was_taken_over_cannot_write_its_result(
    gated: ConductorManager, caplog: pytest.LogCaptureFixture
) -> None:
    uuid, done = _creating(gated)
    _take_over(uuid)
    GatedDriver.gate.set()  # the driver finishes: its result is not conductor-b's to write
    assert done.wait(10)
    row = _row(uuid)
    assert row is not None
    assert (row.status, row.status_reason, row.api_address) == (
        Status.CREATE_IN_PROGRESS,
        "step 1/1: create nodes",
        None,
    )
    assert row.lease_owner == "conductor-c"
    assert _states(uuid) == ["RUNNING", "PENDING"]  # conductor-c resumes both; b stopped
    assert "lease lost" in caplog.text


def test_the_renewal_thread_notices_the_loss_and_the_next_step_is_not_written(
    gated: ConductorManager, caplog: pytest.LogCaptureFixture
) -> None:
    CONF.set_override("lease_time", 3, "conductor")  # renewed every second
    GatedDriver.step_after_gate = True
    try:
        uuid, done = _creating(gated)
        row = _row(uuid)
        assert row is not None and row.lease_owner == "conductor-b"
        token = row.lease_token
        _take_over(uuid)
        wait_for(lambda: "renewal failed" in caplog.text, timeout=5)
        # Even were the row b's again, b stopped: the renewal thread told it, not the row.
        _set_lease(uuid, lease_owner="conductor-b", lease_token=token)
        GatedDriver.gate.set()
        assert done.wait(10)
    finally:
        CONF.clear_override("lease_time", "conductor")
        GatedDriver.step_after_gate = False
    # The step runner records a step before running it: that write was refused, so the
    # driver's next step never ran.
    assert ("join nodes", uuid) not in GatedDriver.calls
    row = _row(uuid)
    assert row is not None
    assert (row.status, row.status_reason) == (Status.CREATE_IN_PROGRESS, "step 1/1: create nodes")
    assert _states(uuid) == ["RUNNING", "PENDING"]
