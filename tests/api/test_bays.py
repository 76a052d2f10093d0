"""Legacy bays and baymodels (api.md §17): below microversion 1.11 only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import models
from tests.api.conftest import Api, assert_error, template_body, wait_for
from tests.api.test_clusters import (
    cluster_row,
    db_count,
    drop_requests,
    last_request,
    record_casts,
    snapshot,
    wait_status,
)
from tests.support.fake_driver import FakeDriver

BAY_SHOW_KEYS = {
    "uuid",
    "name",
    "baymodel_id",
    "node_count",
    "master_count",
    "docker_volume_size",
    "labels",
    "master_flavor_id",
    "flavor_id",
    "bay_create_timeout",
    "links",
    "stack_id",
    "status",
    "status_reason",
    "discovery_url",
    "api_address",
    "coe_version",
    "container_version",
    "node_addresses",
    "master_addresses",
    "fixed_network",
    "fixed_subnet",
    "floating_ip_enabled",
    "master_lb_enabled",
    "created_at",
    "updated_at",
}
BAY_LIST_KEYS = {
    "uuid",
    "name",
    "baymodel_id",
    "docker_volume_size",
    "labels",
    "master_flavor_id",
    "flavor_id",
    "node_count",
    "status",
    "bay_create_timeout",
    "master_count",
    "stack_id",
    "links",
}


@pytest.fixture(autouse=True)
def _keypair() -> Iterator[None]:
    """Baymodels must name a key pair, and bays use it: make "kp" exist."""
    CONF.set_override("keypairs", ["kp"], group="catalog")
    yield
    CONF.clear_override("keypairs", group="catalog")


def baymodel_body(**overrides: Any) -> dict[str, Any]:
    return {**template_body(keypair_id="kp"), **overrides}


def legacy(api: Api, version: str = "1.1") -> Api:
    return api.at(version)


def make_baymodel(api: Api, **overrides: Any) -> dict[str, Any]:
    response = legacy(api).post("/v1/baymodels", baymodel_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def post_bay(api: Api, baymodel: str, version: str = "1.2", **body: Any) -> str:
    response = legacy(api, version).post("/v1/bays", {"baymodel_id": baymodel, **body})
    assert response.status_code == 202, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def test_gone_from_1_11(alice: Api) -> None:
    for method, path in (
        ("GET", "/v1/bays"),
        ("GET", "/v1/bays/detail"),
        ("POST", "/v1/bays"),
        ("DELETE", "/v1/bays/x"),
        ("GET", "/v1/baymodels"),
        ("POST", "/v1/baymodels"),
        ("PATCH", "/v1/baymodels/x"),
    ):
        response = alice.at("1.11").request(method, path, json={})
        assert response.status_code == 404, (method, path)
        (error,) = response.json()["errors"]
        assert (error["code"], error["title"], error["detail"]) == ("", "", "")
        assert "OpenStack-API-Version" not in response.headers
    assert alice.at("1.10").get("/v1/bays").json() == {"bays": []}
    # no header at all is 1.1
    assert alice.at("").get("/v1/baymodels").json() == {"baymodels": []}


# --- baymodels ------------------------------------------------------------------------


def test_baymodel_is_a_cluster_template(alice: Api) -> None:
    response = legacy(alice).post("/v1/baymodels", baymodel_body(name=None))
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body) == 36
    assert body["name"].endswith("-model")
    assert body["keypair_id"] == "kp"
    uuid = body["uuid"]
    assert response.headers["Location"] == f"http://testserver/v1/baymodels/{uuid}"
    assert body["links"][1] == {"href": f"http://testserver/baymodels/{uuid}", "rel": "bookmark"}
    assert legacy(alice).get(f"/v1/baymodels/{uuid}").json() == body
    assert [b["uuid"] for b in legacy(alice).get("/v1/baymodels").json()["baymodels"]] == [uuid]
    assert [b["uuid"] for b in legacy(alice).get("/v1/baymodels/detail").json()["baymodels"]] == [
        uuid
    ]
    # same storage as cluster templates
    assert alice.get(f"/v1/clustertemplates/{uuid}").json()["uuid"] == uuid
    patched = legacy(alice).patch(
        f"/v1/baymodels/{uuid}", [{"op": "replace", "path": "/name", "value": "renamed"}]
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed"
    assert patched.json()["links"][0]["href"] == f"http://testserver/v1/baymodels/{uuid}"
    assert legacy(alice).delete("/v1/baymodels/renamed").status_code == 204
    assert db_count(models.ClusterTemplate) == 0


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        (
            {"keypair_id": None},
            "Invalid input for field/attribute keypair_id. Value: 'None'. Mandatory field missing.",
        ),
        (
            {"dns_nameserver": "8.8.8.8,8.8.4.4"},
            "Invalid input for field/attribute dns_nameserver. Value: '8.8.8.8,8.8.4.4'. "
            "Value should be IPv4 format",
        ),
        (
            {"labels": {"a": 1}},
            "Invalid input for field/attribute labels. Value: '{'a': 1}'. "
            "Wrong type. Expected '<class 'str'>', got '<class 'int'>'",
        ),
        ({"foo": 1}, "Unknown attribute for argument baymodel: foo"),
    ],
)
def test_baymodel_old_rules(alice: Api, overrides: dict[str, Any], detail: str) -> None:
    assert_error(legacy(alice).post("/v1/baymodels", baymodel_body(**overrides)), 400, detail)
    assert db_count(models.ClusterTemplate) == 0


def test_baymodel_policies_and_projects(alice: Api, bob: Api, as_user: Any) -> None:
    assert_error(
        legacy(as_user("ann")).post("/v1/baymodels", baymodel_body()),
        403,
        "Policy doesn't allow baymodel:create to be performed.",
    )
    uuid = make_baymodel(alice)["uuid"]
    assert_error(
        legacy(bob).get(f"/v1/baymodels/{uuid}"),
        404,
        f"ClusterTemplate {uuid} could not be found.",
    )
    assert_error(
        legacy(as_user("ann")).delete(f"/v1/baymodels/{uuid}"),
        403,
        "Policy doesn't allow baymodel:delete to be performed.",
    )
    assert_error(
        legacy(alice).patch(f"/v1/baymodels/{uuid}", [{"op": "remove", "path": "/keypair_id"}]),
        400,
        "Invalid input for field/attribute keypair_id. Value: 'None'. Mandatory field missing.",
    )
    assert db_count(models.ClusterTemplate) == 1


# --- bays -----------------------------------------------------------------------------


def test_bay_create_at_1_1_answers_with_the_bay(alice: Api) -> None:
    baymodel = make_baymodel(alice)
    record_casts()
    response = legacy(alice).post(
        "/v1/bays", {"name": "b1", "baymodel_id": baymodel["name"], "node_count": 2}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == BAY_SHOW_KEYS
    uuid = body["uuid"]
    assert response.headers["Location"] == f"http://testserver/v1/bays/{uuid}"
    assert body["baymodel_id"] == baymodel["uuid"]
    assert (body["bay_create_timeout"], body["node_count"], body["master_count"]) == (60, 2, 1)
    assert body["status"] == "CREATE_IN_PROGRESS"
    assert body["links"][1] == {"href": f"http://testserver/bays/{uuid}", "rel": "bookmark"}
    row = cluster_row(uuid)
    assert row.keypair == "kp"
    assert last_request(uuid)[0] == "cluster_create"
    # the same cluster through the new API
    assert alice.get(f"/v1/clusters/{uuid}").json()["cluster_template_id"] == baymodel["uuid"]


def test_bay_lifecycle_through_the_conductor(alice: Api) -> None:
    baymodel = make_baymodel(alice)
    uuid = post_bay(alice, baymodel["uuid"], bay_create_timeout=5)
    body = wait_status(legacy(alice), f"/v1/bays/{uuid}", "CREATE_COMPLETE")
    assert set(body) == BAY_SHOW_KEYS
    assert body["bay_create_timeout"] == 5
    assert body["node_addresses"] == ["10.0.1.2"]
    assert body["stack_id"] == f"fake-{uuid[:8]}"
    (item,) = legacy(alice).get("/v1/bays").json()["bays"]
    assert set(item) == BAY_LIST_KEYS
    (detail,) = legacy(alice).get("/v1/bays/detail").json()["bays"]
    assert detail == body
    response = legacy(alice, "1.2").patch(
        f"/v1/bays/{uuid}", [{"op": "replace", "path": "/node_count", "value": 2}]
    )
    assert response.status_code == 202
    assert response.json() == {"uuid": uuid}
    assert wait_status(legacy(alice), f"/v1/bays/{uuid}", "UPDATE_COMPLETE")["node_count"] == 2
    assert legacy(alice).delete(f"/v1/bays/{uuid}").status_code == 204
    wait_for(lambda: legacy(alice).get(f"/v1/bays/{uuid}").status_code == 404)
    assert db_count(models.Cluster) == db_count(models.X509KeyPair) == 0


def test_failed_bay_shows_bay_faults(alice: Api) -> None:
    FakeDriver.fail_at = {"create nodes": "boom"}
    baymodel = make_baymodel(alice)
    uuid = post_bay(alice, baymodel["uuid"])
    body = wait_status(legacy(alice), f"/v1/bays/{uuid}", "CREATE_FAILED")
    assert body["bay_faults"] == {
        "default-master": "create nodes: boom",
        "default-worker": "create nodes: boom",
    }
    assert "bay_faults" not in legacy(alice).get("/v1/bays/detail").json()["bays"][0]


@pytest.mark.parametrize(
    ("version", "body", "detail"),
    [
        (
            "1.1",
            {},
            "Invalid input for field/attribute baymodel_id. Value: 'None'. "
            "Mandatory field missing.",
        ),
        ("1.10", {"baymodel_id": "nope"}, "ClusterTemplate nope could not be found."),
        (
            "1.2",
            {"baymodel_id": "tpl", "node_count": 0},
            "Invalid input for field/attribute node_count. Value: '0'. "
            "Value should be greater or equal to 1",
        ),
        (
            "1.2",
            {"baymodel_id": "tpl", "keypair": "kp"},
            "Unknown attribute for argument bay: keypair",
        ),
        (
            "1.2",
            {"baymodel_id": "tpl", "cluster_template_id": "tpl"},
            "Unknown attribute for argument bay: cluster_template_id",
        ),
        (
            "1.2",
            {"baymodel_id": "tpl", "bay_create_timeout": -1},
            "Invalid input for field/attribute bay_create_timeout. Value: '-1'. "
            "Value should be greater or equal to 0",
        ),
        (
            "1.2",
            {"baymodel_id": "tpl", "master_count": 2},
            "master nodegroup size of 2 is invalid, size cannot be an even number.",
        ),
    ],
)
def test_bay_create_refused_changes_nothing(
    alice: Api, version: str, body: dict[str, Any], detail: str
) -> None:
    make_baymodel(alice, name="tpl")
    assert_error(legacy(alice, version).post("/v1/bays", body), 400, detail)
    assert db_count(models.Cluster) == db_count(models.NodeGroup) == 0


def test_bay_patch_by_microversion(alice: Api) -> None:
    baymodel = make_baymodel(alice)
    recorder = record_casts()
    uuid = post_bay(alice, baymodel["uuid"], name="b1")
    path = "/v1/bays/b1"
    grow = [{"op": "replace", "path": "/node_count", "value": 3}]
    response = legacy(alice).patch(path, grow)
    assert response.status_code == 200
    assert set(response.json()) == BAY_SHOW_KEYS
    assert recorder.casts[-1][0] == "cluster_update"
    assert recorder.casts[-1][1]["node_count"] == 3
    assert_error(
        legacy(alice, "1.2").patch(path + "?rollback=True", grow),
        400,
        'Unknown argument: "rollback"',
    )
    response = legacy(alice, "1.3").patch(path + "?rollback=True", grow)
    assert response.status_code == 202 and response.json() == {"uuid": uuid}
    assert recorder.casts[-1][1]["rollback"] is True
    drop_requests(uuid)
    before = snapshot()
    for ops, detail in (
        (
            [{"op": "replace", "path": "/baymodel_id", "value": "x"}],
            "cannot change cluster property(ies) cluster_template_id.",
        ),
        (
            [{"op": "replace", "path": "/bay_create_timeout", "value": 5}],
            "cannot change cluster property(ies) create_timeout.",
        ),
        (
            [{"op": "replace", "path": "/stack_id", "value": "x"}],
            "'/stack_id' is an internal attribute and can not be updated",
        ),
    ):
        assert_error(legacy(alice, "1.2").patch(path, ops), 400, detail)
    assert snapshot() == before


def test_bay_projects_policies_and_paging(alice: Api, bob: Api, admin: Api, as_user: Any) -> None:
    baymodel = make_baymodel(alice)
    recorder = record_casts()
    uuids = [post_bay(alice, baymodel["uuid"], name=f"b{i}") for i in range(2)]
    first = legacy(alice).get("/v1/bays?limit=1").json()
    assert [b["uuid"] for b in first["bays"]] == uuids[:1]
    assert first["next"] == (
        f"http://testserver/v1/bays?sort_key=id&sort_dir=asc&limit=1&marker={uuids[0]}"
    )
    missing = f"Cluster {uuids[0]} could not be found."
    assert legacy(bob).get("/v1/bays").json() == {"bays": []}
    assert_error(legacy(bob).get(f"/v1/bays/{uuids[0]}"), 404, missing)
    assert_error(legacy(bob).delete(f"/v1/bays/{uuids[0]}"), 404, missing)
    ann = legacy(as_user("ann"))
    assert ann.get(f"/v1/bays/{uuids[0]}").status_code == 200
    assert_error(
        ann.delete(f"/v1/bays/{uuids[0]}"), 403, "Policy doesn't allow bay:delete to be performed."
    )
    assert_error(
        ann.post("/v1/bays", {"baymodel_id": baymodel["uuid"]}),
        403,
        "Policy doesn't allow bay:create to be performed.",
    )
    assert len(legacy(admin).get("/v1/bays").json()["bays"]) == 2
    assert legacy(admin).delete(f"/v1/bays/{uuids[0]}").status_code == 204
    assert recorder.casts[-1] == ("cluster_delete", {"cluster_uuid": uuids[0]})
