"""The conductor's RPC methods and request names are declared once (objects.requests)."""

from __future__ import annotations

import pytest

from moorage.conductor.manager import ConductorManager
from moorage.conductor.service import QueuedCasts
from moorage.objects.requests import CALLED, CAST, RPC_METHODS, Operation
from moorage.rpc import amqp
from tests.conductor.test_periodic import manager

__all__ = ["manager"]  # the fixture


def test_the_manager_answers_every_declared_method_and_no_other(
    manager: ConductorManager,
) -> None:
    assert amqp.CONDUCTOR_METHODS == RPC_METHODS
    for name in RPC_METHODS:
        assert callable(getattr(manager, name))
    for name in ("cluster_heal_typo", "shutdown_all", Operation.CLUSTER_HEAL + "s"):
        assert not hasattr(manager, name)
    endpoint = QueuedCasts(manager, 1)
    try:
        queued = {
            n for n in RPC_METHODS if getattr(getattr(endpoint, n), "__name__", "") == "queue"
        }
        assert queued == CAST  # casts wait for a worker; calls run at once
    finally:
        endpoint.shutdown()


def test_every_recorded_request_has_a_handler(manager: ConductorManager) -> None:
    assert set(manager._handlers()) == set(Operation)


@pytest.mark.parametrize("operation", sorted(CAST | CALLED))
def test_recorded_names_are_magnums_conductor_methods(operation: Operation) -> None:
    # Stored in cluster_request rows and sent on the bus: these strings must not change.
    assert operation.value in {
        "cluster_create",
        "cluster_update",
        "cluster_resize",
        "cluster_upgrade",
        "cluster_delete",
        "nodegroup_create",
        "nodegroup_update",
        "nodegroup_delete",
        "rotate_ca_certificate",
    }
