"""``GET /v1/clusters/{ident}/nodes``: a cluster's nodes with their group, role,
address and readiness (Moorage's read-only extension)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from moorage.db import models
from moorage.db.session import transaction
from tests.api.conftest import Api, assert_error
from tests.api.test_clusters import running_cluster


def _set_group(cluster_uuid: str, role: str, **values: object) -> None:
    with transaction() as session:
        stmt = select(models.NodeGroup).where(
            models.NodeGroup.cluster_id == cluster_uuid, models.NodeGroup.role == role
        )
        group = session.scalars(stmt).one()
        for key, value in values.items():
            setattr(group, key, value)


def _set_health(cluster_uuid: str, reason: dict[str, str]) -> None:
    with transaction() as session:
        row = session.scalars(select(models.Cluster).where(models.Cluster.uuid == cluster_uuid))
        row.one().health_status_reason = reason


def test_nodes_with_their_group_role_and_readiness(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    master = [{"name": "m-0", "ids": ["c1"], "address": "10.0.0.10"}]
    workers = [
        {"name": "w-0", "ids": ["c2"], "address": "10.0.0.11"},
        {"name": "w-1", "ids": ["c3"], "address": "10.0.0.12"},
    ]
    _set_group(uuid, "master", nodes=master)
    _set_group(uuid, "worker", nodes=workers)
    _set_health(uuid, {"api": "ok", "m-0.Ready": "True", "w-0.Ready": "False"})
    response = alice.get(f"/v1/clusters/{uuid}/nodes")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "nodes": [
            {"name": "m-0", "address": "10.0.0.10", "nodegroup": "default-master",
             "role": "master", "ready": "True"},
            {"name": "w-0", "address": "10.0.0.11", "nodegroup": "default-worker",
             "role": "worker", "ready": "False"},
            {"name": "w-1", "address": "10.0.0.12", "nodegroup": "default-worker",
             "role": "worker", "ready": None},
        ]
    }  # fmt: skip


def test_a_group_without_records_lists_its_addresses(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    _set_group(uuid, "worker", nodes=None, node_addresses=["10.0.0.20"])
    found = alice.get(f"/v1/clusters/{uuid}/nodes").json()["nodes"]
    assert {"name": None, "address": "10.0.0.20", "nodegroup": "default-worker",
            "role": "worker", "ready": None} in found  # fmt: skip


def test_who_may_see_the_cluster_may_see_its_nodes(
    alice: Api, as_user: Callable[[str], Api], bob: Api
) -> None:
    uuid = running_cluster(alice)["uuid"]
    assert as_user("ann").get(f"/v1/clusters/{uuid}/nodes").status_code == 200
    assert as_user("admin").get(f"/v1/clusters/{uuid}/nodes").status_code == 200
    assert_error(bob.get(f"/v1/clusters/{uuid}/nodes"), 404, f"Cluster {uuid} could not be found.")
