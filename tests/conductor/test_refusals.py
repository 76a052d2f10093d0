"""A cast the conductor refuses for good shows on the cluster, not only in the log.

The API answered 204/202 for it: leaving the cluster untouched would say the
request is still to come.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from moorage.conductor.manager import ConductorManager
from moorage.context import RequestContext
from moorage.db import migrate, models, requests, session
from moorage.db.session import transaction
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from tests.conductor.test_periodic import _row, _states
from tests.support.factories import make_cluster

CTX = RequestContext(user_id="alice", project_id="p", roles=("member",))


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[ConductorManager]:
    session.configure(f"sqlite:///{tmp_path / 'conductor.sqlite'}")
    migrate.upgrade(session.engine())
    conductor = ConductorManager("conductor-r", workers=1)
    yield conductor
    conductor.shutdown()
    session.engine().dispose()


def _cluster_without_ca(status: Status, method: str) -> tuple[str, str]:
    """A cluster whose CA row is gone: the conductor cannot describe it to a driver."""
    with transaction() as s:
        cluster = make_cluster(s, "p", "alice", status=status)
        s.execute(delete(models.X509KeyPair).where(models.X509KeyPair.uuid == cluster.ca_cert_ref))
        requests.record(s, cluster.uuid, Operation(method), {}, CTX.to_dict())
        return cluster.uuid, cluster.ca_cert_ref


def test_a_refused_delete_is_delete_failed_with_the_reason(manager: ConductorManager) -> None:
    uuid, ref = _cluster_without_ca(Status.CREATE_COMPLETE, "cluster_delete")
    manager.cluster_delete(CTX, uuid)
    row = _row(uuid)
    assert row is not None
    assert row.status == Status.DELETE_FAILED
    assert row.status_reason == f"Certificate {ref} could not be found."
    assert _states(uuid) == ["REFUSED"]  # refused for good: reconcile does not run it again


def test_a_refused_create_is_create_failed_with_the_reason(manager: ConductorManager) -> None:
    uuid, ref = _cluster_without_ca(Status.CREATE_IN_PROGRESS, "cluster_create")
    manager.cluster_create(CTX, uuid)
    row = _row(uuid)
    assert row is not None
    assert (row.status, row.status_reason) == (
        Status.CREATE_FAILED,
        f"Certificate {ref} could not be found.",
    )
    assert _states(uuid) == ["REFUSED"]
