"""``GET /v1/stats``: cluster and node counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moorage.objects.status import Status
from tests.api.conftest import Api, assert_error
from tests.support import factories


@pytest.fixture
def clusters(alice: Api) -> None:
    """project-a: 2 clusters, 1+2 and 3+4 nodes; project-b: 1 cluster, 1+5 nodes."""
    factories.cluster("project-a", "alice", master_count=1, node_count=2, with_ca=False)
    factories.cluster(
        "project-a",
        "alice2",
        master_count=3,
        node_count=4,
        status=Status.CREATE_FAILED,
        with_ca=False,
    )
    factories.cluster("project-b", "bob", master_count=1, node_count=5, with_ca=False)


def test_own_project(alice: Api, clusters: None) -> None:
    response = alice.get("/v1/stats")
    assert response.status_code == 200, response.text
    assert response.json() == {"clusters": 2, "nodes": 10}
    assert alice.get("/v1/stats?project_id=project-a").json() == {"clusters": 2, "nodes": 10}
    assert alice.get("/v1/stats?type=cluster").json() == {"clusters": 2, "nodes": 10}
    assert alice.get("/v1/stats?type=CLUSTER").json() == {"clusters": 2, "nodes": 10}


def test_reader_and_other_project(as_user: Callable[[str], Api], bob: Api, clusters: None) -> None:
    assert as_user("ann").get("/v1/stats").json() == {"clusters": 2, "nodes": 10}
    assert bob.get("/v1/stats").json() == {"clusters": 1, "nodes": 6}
    assert_error(bob.get("/v1/stats?project_id=project-a"), 403, "Not authorized.")


def test_admin(admin: Api, clusters: None) -> None:
    assert admin.get("/v1/stats").json() == {"clusters": 3, "nodes": 16}
    assert admin.get("/v1/stats?project_id=project-b").json() == {"clusters": 1, "nodes": 6}
    assert admin.get("/v1/stats?project_id=nobody").json() == {"clusters": 0, "nodes": 0}


def test_empty(alice: Api) -> None:
    assert alice.get("/v1/stats").json() == {"clusters": 0, "nodes": 0}


def test_errors(alice: Api) -> None:
    assert_error(
        alice.get("/v1/stats?type=node"), 400, "Invalid stats type. Allowed values are 'cluster'"
    )
    assert_error(alice.get("/v1/stats?limit=1"), 400, 'Unknown argument: "limit"')


def test_not_version_gated(alice: Api, clusters: None) -> None:
    assert alice.at("1.1").get("/v1/stats").json() == {"clusters": 2, "nodes": 10}
