"""A cluster's queue of recorded requests, driven directly: order, refusals, 409."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from moorage.conductor.manager import ConductorManager
from moorage.conductor.queue import Busy
from moorage.db import models, requests
from moorage.db.session import transaction
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from tests.api.conftest import wait_for
from tests.conductor.test_periodic import CTX, _cluster, _row, manager  # noqa: F401


def _record(uuid: str, operation: str, **arguments: object) -> None:
    """A request as the API records it (``operation`` may be a name this code lacks)."""
    with transaction() as s:
        requests.record(s, uuid, Operation.CLUSTER_CREATE, arguments, CTX.to_dict())
        s.execute(
            update(models.ClusterRequest)
            .where(
                models.ClusterRequest.cluster_id == uuid, models.ClusterRequest.state == "PENDING"
            )
            .where(models.ClusterRequest.operation == "cluster_create")
            .values(operation=operation)
        )


def _requests(uuid: str) -> list[tuple[str, str, str | None]]:
    with transaction() as s:
        stmt = select(models.ClusterRequest).where(models.ClusterRequest.cluster_id == uuid)
        rows = s.scalars(stmt.order_by(models.ClusterRequest.id))
        return [(r.operation, r.state, r.reason) for r in rows]


def test_a_refused_request_ends_refused_and_the_next_one_runs(
    manager: ConductorManager,  # noqa: F811
) -> None:
    uuid = _cluster(Status.CREATE_FAILED)
    _record(uuid, "cluster_update", node_count=3, health_status=None, health_status_reason=None)
    _record(uuid, "no_such_operation")
    _record(uuid, "cluster_delete")
    manager.process_requests(CTX, uuid)
    assert _requests(uuid) == []  # the delete ran last and took everything with the cluster
    assert _row(uuid) is None


def test_refusals_are_recorded_with_their_reason(manager: ConductorManager) -> None:  # noqa: F811
    uuid = _cluster(Status.CREATE_FAILED)
    _record(uuid, "cluster_update", node_count=3, health_status=None, health_status_reason=None)
    _record(uuid, "cluster_resize", node_count=2, nodes_to_remove=[], unknown_argument=1)
    manager.process_requests(CTX, uuid)
    assert _requests(uuid) == [
        (
            "cluster_update",
            "REFUSED",
            'Updating a cluster when status is "CREATE_FAILED" is not supported.',
        ),
        (
            "cluster_resize",
            "REFUSED",
            "ConductorManager._resize() got an unexpected keyword argument 'unknown_argument'",
        ),
    ]
    row = _row(uuid)
    assert row is not None and row.status == Status.CREATE_FAILED


def test_a_call_behind_a_recorded_request_is_refused_and_records_nothing(
    manager: ConductorManager,  # noqa: F811
) -> None:
    uuid = _cluster(Status.CREATE_COMPLETE)
    _record(uuid, "nodegroup_delete", nodegroup_uuid="x")  # its cast has not arrived yet
    ca_before = (_row(uuid) or models.Cluster()).ca_cert_ref
    with pytest.raises(Busy, match="1 earlier request"):
        manager.rotate_ca_certificate(CTX, uuid)
    # the refused call left nothing, and the conductor went on with the queue
    wait_for(lambda: [r[:2] for r in _requests(uuid)] == [("nodegroup_delete", "REFUSED")])
    wait_for(lambda: (_row(uuid) or models.Cluster()).lease_owner is None)
    row = _row(uuid)
    assert row is not None and (row.status, row.ca_cert_ref) == (Status.CREATE_COMPLETE, ca_before)
