"""Node group routes (api.md §9), from microversion 1.9."""

from __future__ import annotations

from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import models
from tests.api.conftest import Api, assert_error, wait_for
from tests.api.test_cluster_actions import add_nodegroup, recorded_cluster
from tests.api.test_clusters import (
    ZERO,
    drop_requests,
    last_request,
    nodegroup_rows,
    running_cluster,
    set_columns,
    snapshot,
    unfinished_requests,
    wait_status,
)

LIST_KEYS = {
    "uuid",
    "name",
    "flavor_id",
    "node_count",
    "role",
    "is_default",
    "image_id",
    "status",
    "stack_id",
    "min_node_count",
    "max_node_count",
    "merge_labels",
}
SHOW_KEYS = {
    "cluster_id",
    "created_at",
    "docker_volume_size",
    "flavor_id",
    "id",
    "image_id",
    "is_default",
    "labels",
    "labels_added",
    "labels_overridden",
    "labels_skipped",
    "links",
    "max_node_count",
    "merge_labels",
    "min_node_count",
    "name",
    "node_addresses",
    "node_count",
    "node_labels",
    "node_taints",
    "project_id",
    "role",
    "stack_id",
    "status",
    "status_reason",
    "updated_at",
    "uuid",
    "version",
}


def groups(cluster: str) -> str:
    return f"/v1/clusters/{cluster}/nodegroups"


def reachable_cluster(api: Api, **body: Any) -> str:
    """A recorded cluster (nothing reaches the conductor) that has an API address."""
    uuid, _ = recorded_cluster(api, **body)
    set_columns(models.Cluster, uuid, api_address="tcp://127.0.0.1:1")
    drop_requests(uuid)
    return uuid


def test_routes_exist_from_1_9(alice: Api) -> None:
    uuid = reachable_cluster(alice)
    for method, path in (
        ("GET", groups(uuid)),
        ("GET", groups(uuid) + "/default-worker"),
        ("POST", groups(uuid)),
        ("PATCH", groups(uuid) + "/default-worker"),
        ("DELETE", groups(uuid) + "/default-worker"),
    ):
        response = alice.at("1.8").request(method, path, json={"name": "x"})
        assert response.status_code == 406, (method, path)
        assert response.json()["errors"][0]["detail"] == ""
        assert "OpenStack-API-Version" not in response.headers
    assert alice.at("1.9").get(groups(uuid)).status_code == 200


def test_list_items_and_show(alice: Api) -> None:
    uuid = reachable_cluster(alice, labels={"min_node_count": "1", "a": "b"}, node_count=2)
    set_columns(models.Cluster, uuid, labels={"a": "c", "z": "1"})
    items = alice.get(groups(uuid) + "/").json()["nodegroups"]
    assert [(g["name"], g["role"]) for g in items] == [
        ("default-master", "master"),
        ("default-worker", "worker"),
    ]
    for item in items:
        assert set(item) == LIST_KEYS
        assert (item["min_node_count"], item["max_node_count"], item["merge_labels"]) == (
            0,
            None,
            False,
        )
        assert item["is_default"] is True
        assert item["status"] == "CREATE_IN_PROGRESS"
    worker = nodegroup_rows(uuid)[1]
    for ident in (worker.uuid, str(worker.id), "default-worker"):
        body = alice.get(f"{groups(uuid)}/{ident}").json()
        assert set(body) == SHOW_KEYS
        assert body["uuid"] == worker.uuid
    assert body["min_node_count"] == 1
    assert body["node_count"] == 2
    assert body["cluster_id"] == uuid
    assert body["labels"] == {"min_node_count": "1", "a": "b"}
    assert body["labels_added"] == {"min_node_count": "1"}
    assert body["labels_overridden"] == {"a": "c"}
    assert body["labels_skipped"] == {"z": "1"}
    assert (body["node_labels"], body["node_taints"], body["node_addresses"]) == ({}, [], [])
    assert body["links"] == [
        {
            "href": f"http://testserver/v1/clusters/{uuid}/nodegroups/{worker.uuid}",
            "rel": "self",
        },
        {"href": f"http://testserver/clusters/{uuid}/nodegroups/{worker.uuid}", "rel": "bookmark"},
    ]
    assert [g["name"] for g in alice.get(groups(uuid) + "?role=master").json()["nodegroups"]] == [
        "default-master"
    ]
    assert alice.get(groups(uuid) + "?role=other").json() == {"nodegroups": []}
    assert_error(alice.get(groups(uuid) + "/detail"), 404, "Nodegroup detail could not be found.")
    assert_error(alice.get(groups(uuid) + "/nope"), 404, "Nodegroup nope could not be found.")
    assert_error(alice.get(groups("nope")), 404, "Cluster nope could not be found.")


def test_paging(alice: Api) -> None:
    uuid = reachable_cluster(alice)
    other = reachable_cluster(alice)
    master, worker = nodegroup_rows(uuid)
    first = alice.get(groups(uuid) + "/?limit=1&role=master").json()
    assert [g["uuid"] for g in first["nodegroups"]] == [master.uuid]
    assert first["next"] == (
        f"http://testserver/v1/clusters/{uuid}/nodegroups?sort_key=id&sort_dir=asc&limit=1"
        f"&marker={master.uuid}"
    )
    second = alice.get(first["next"].removeprefix("http://testserver")).json()
    assert [g["uuid"] for g in second["nodegroups"]] == [worker.uuid]
    desc = alice.get(groups(uuid) + "?sort_key=name&sort_dir=desc").json()["nodegroups"]
    assert [g["name"] for g in desc] == ["default-worker", "default-master"]
    foreign = nodegroup_rows(other)[0].uuid
    assert_error(
        alice.get(groups(uuid) + f"?marker={foreign}"),
        404,
        f"Nodegroup {foreign} could not be found.",
    )
    assert_error(alice.get(groups(uuid) + "?limit=0"), 400, "Limit must be positive")
    assert_error(
        alice.get(groups(uuid) + "?sort_key=bogus"),
        400,
        'The sort_key value "bogus" is an invalid field for sorting',
    )
    assert_error(alice.get(groups(uuid) + "?foo=1"), 400, 'Unknown argument: "foo"')


def test_projects_and_roles(alice: Api, bob: Api, admin: Api, as_user: Any) -> None:
    uuid = reachable_cluster(alice)
    missing = f"Cluster {uuid} could not be found."
    before = snapshot()
    assert_error(bob.get(groups(uuid)), 404, missing)
    assert_error(bob.get(groups(uuid) + "/default-worker"), 404, missing)
    assert_error(bob.post(groups(uuid), {"name": "ng"}), 404, missing)
    assert_error(bob.delete(groups(uuid) + "/default-worker"), 404, missing)
    # admins read every project's groups but change only their own project's
    assert len(admin.get(groups(uuid)).json()["nodegroups"]) == 2
    assert admin.get(groups(uuid) + "/default-master").json()["role"] == "master"
    assert_error(admin.post(groups(uuid), {"name": "ng"}), 404, missing)
    assert_error(admin.patch(groups(uuid) + "/default-worker", []), 404, missing)
    ann = as_user("ann")
    assert len(ann.get(groups(uuid)).json()["nodegroups"]) == 2
    for method, path, rule in (
        ("POST", groups(uuid), "create"),
        ("PATCH", groups(uuid) + "/default-worker", "update"),
        ("DELETE", groups(uuid) + "/default-worker", "delete"),
    ):
        body = {"name": "ng"} if method == "POST" else []
        assert_error(
            ann.request(method, path, json=body),
            403,
            f"Policy doesn't allow nodegroup:{rule} to be performed.",
        )
    assert snapshot() == before


# --- create ---------------------------------------------------------------------------


def test_create_runs_through_the_conductor(alice: Api) -> None:
    cluster = running_cluster(alice, labels={"a": "1"})
    path = groups(cluster["uuid"])
    response = alice.post(path + "/", {"name": "ng1", "node_count": 2, "labels": {"b": 2}})
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {
        "uuid",
        "cluster_id",
        "project_id",
        "image_id",
        "flavor_id",
        "labels",
        "labels_added",
        "labels_overridden",
        "labels_skipped",
        "links",
        "name",
        "node_count",
        "role",
        "min_node_count",
        "max_node_count",
        "merge_labels",
    }
    assert (body["name"], body["node_count"], body["role"]) == ("ng1", 2, "worker")
    assert body["labels"] == {"b": "2"}
    assert body["labels_added"] == {"b": "2"} and body["labels_skipped"] == {"a": "1"}
    assert (body["image_id"], body["flavor_id"]) == ("fake-image", "m1.small")
    assert (body["min_node_count"], body["max_node_count"]) == (0, None)
    shown = wait_status(alice, f"{path}/{body['uuid']}", "CREATE_COMPLETE")
    assert shown["is_default"] is False
    assert len(shown["node_addresses"]) == 2
    after = alice.get(f"/v1/clusters/{cluster['uuid']}").json()
    assert after["status"] == "UPDATE_COMPLETE"
    assert after["node_count"] == 3
    assert unfinished_requests(cluster["uuid"]) == []


def test_create_records_the_row_and_the_intent(alice: Api) -> None:
    uuid, recorder = recorded_cluster(alice, labels={"a": "1"})
    set_columns(models.Cluster, uuid, api_address="tcp://127.0.0.1:1")
    body = {
        "name": "ng1",
        "labels": {"b": "2"},
        "merge_labels": True,
        "docker_volume_size": 3,
        "node_labels": {"kubernetes.io/os": "linux", "team": "x"},
        "node_taints": [{"key": "k", "value": "", "effect": "NoSchedule"}],
        "min_node_count": 1,
        "max_node_count": 4,
        "flavor_id": "m1.medium",
        "image_id": "moorage-node",  # another image of the catalog than the template's
        "is_default": True,
        "uuid": "86f3f4a5-0b71-4a4a-9c6c-0f8a7e2b6c1d",
    }
    response = alice.post(groups(uuid), body)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["labels"] == {"a": "1", "b": "2"}
    assert answer["docker_volume_size"] == 3
    assert answer["node_taints"] == body["node_taints"]
    assert answer["merge_labels"] is False
    assert answer["uuid"] != body["uuid"]
    (row,) = [g for g in nodegroup_rows(uuid) if g.name == "ng1"]
    assert row.uuid == answer["uuid"]
    assert row.status == "CREATE_IN_PROGRESS" and row.is_default is False
    assert (row.flavor_id, row.image_id, row.docker_volume_size) == ("m1.medium", "moorage-node", 3)
    assert (row.min_node_count, row.max_node_count) == (1, 4)
    assert row.node_labels == {"kubernetes.io/os": "linux", "team": "x"}
    assert row.project_id == "project-a"
    kwargs = {"cluster_uuid": uuid, "nodegroup_uuid": row.uuid}
    assert recorder.casts[-1] == ("nodegroup_create", kwargs)
    assert last_request(uuid) == ("nodegroup_create", {"nodegroup_uuid": row.uuid}, "PENDING")


def taint_error(why: str) -> str:
    return f"node_taints for ng is invalid ({why})."


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (
            {},
            400,
            "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.",
        ),
        ({"name": "ng", "foo": 1}, 400, "Unknown attribute for argument nodegroup: foo"),
        (
            {"name": "ng", "stack_id": "s"},
            400,
            "Invalid input for field/attribute stack_id. Value: 's'. Cannot set read only field.",
        ),
        (
            {"name": "default-worker"},
            409,
            "A node group with name default-worker already exists in the cluster c1.",
        ),
        (
            {"name": "ng", "min_node_count": 3, "max_node_count": 2, "node_count": 2},
            409,
            "max_node_count for ng is invalid (min_node_count (3) should be less or equal to "
            "max_node_count (2)).",
        ),
        (
            {"name": "ng", "node_count": 3, "max_node_count": 2},
            409,
            "max_node_count for ng is invalid (node_count (3) should be less or equal to "
            "max_node_count (2)).",
        ),
        (
            {"name": "ng", "node_count": 1, "min_node_count": 2},
            409,
            "min_node_count for ng is invalid (min_node_count (2) should be less or equal to "
            "node_count (1)).",
        ),
        (
            {"name": "ng", "role": "master"},
            400,
            "Creating master nodegroups is currently not supported.",
        ),
        (
            {"name": "ng", "role": "master", "node_labels": {"a": "b"}},
            409,
            "node_labels for ng is invalid (node_labels may not be set on master nodegroups).",
        ),
        (
            {"name": "ng", "node_labels": {"node-role.kubernetes.io/master": ""}},
            409,
            "node_labels for ng is invalid (the label key node-role.kubernetes.io/master is in "
            "a reserved namespace).",
        ),
        (
            {"name": "ng", "node_labels": {"k8s.io/x": "1"}},
            409,
            "node_labels for ng is invalid (the label key k8s.io/x is in a reserved namespace).",
        ),
        (
            {"name": "ng", "node_taints": [{"key": "k", "effect": "Sometimes"}]},
            409,
            taint_error("a taint's effect must be one of NoSchedule, PreferNoSchedule, NoExecute"),
        ),
        (
            {"name": "ng", "node_taints": [{"key": "", "effect": "NoSchedule"}]},
            409,
            taint_error("a taint needs a non-empty key"),
        ),
        (
            {"name": "ng", "node_taints": [{"key": "k", "effect": "NoSchedule", "x": "1"}]},
            409,
            taint_error("a taint is an object with only key, value and effect"),
        ),
        (
            {"name": "ng", "node_taints": "k:NoSchedule"},
            400,
            "Invalid input for field/attribute node_taints. Value: 'k:NoSchedule'. "
            "Wrong type. Expected '<class 'list'>', got '<class 'str'>'",
        ),
        ({"name": "ng", "flavor_id": "nope"}, 400, "Unable to find flavor nope."),
        # Any local image would otherwise become a node: the catalog's, as for templates.
        ({"name": "ng", "image_id": "busybox"}, 400, "Image busybox could not be found."),
        (
            {"name": "ng", "node_count": -1},
            400,
            "Invalid input for field/attribute node_count. Value: '-1'. "
            "Value should be greater or equal to 0",
        ),
    ],
)
def test_create_refused_changes_nothing(
    alice: Api, body: dict[str, Any], status: int, detail: str
) -> None:
    uuid = reachable_cluster(alice, name="c1")
    before = snapshot()
    assert_error(alice.post(groups(uuid), body), status, detail)
    assert snapshot() == before


def test_create_needs_api_address_zero_nodes_and_root_disk(alice: Api) -> None:
    uuid, _ = recorded_cluster(alice)
    drop_requests(uuid)
    before = snapshot()
    assert_error(
        alice.post(groups(uuid), {"name": "ng"}), 409, "Cluster API address is not available yet"
    )
    assert snapshot() == before
    set_columns(models.Cluster, uuid, api_address="tcp://x:1")
    before = snapshot()
    assert_error(alice.at("1.9").post(groups(uuid), {"name": "ng", "node_count": 0}), 400, ZERO)
    CONF.set_override("flavors", ["m1.small:1:1024:10", "m1.zero:1:512:0"], group="catalog")
    try:
        assert_error(
            alice.post(groups(uuid), {"name": "ng", "flavor_id": "m1.zero"}),
            400,
            "Flavor with zero root volume size is not supported when boot_volume_size is zero.",
        )
    finally:
        CONF.clear_override("flavors", group="catalog")
    assert snapshot() == before
    response = alice.at("1.10").post(groups(uuid), {"name": "ng", "node_count": 0})
    assert response.status_code == 202


# --- patch ----------------------------------------------------------------------------


def test_patch_bounds_and_node_labels(alice: Api) -> None:
    cluster = running_cluster(alice, node_count=2)
    path = groups(cluster["uuid"]) + "/default-worker"
    ops = [
        {"op": "replace", "path": "/min_node_count", "value": 1},
        {"op": "replace", "path": "/max_node_count", "value": 5},
        {"op": "replace", "path": "/node_labels", "value": "{'team': 'a', 'n': 2}"},
        {"op": "replace", "path": "/node_taints", "value": "[{'key': 'k', 'effect': 'NoExecute'}]"},
    ]
    response = alice.patch(path, ops)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == SHOW_KEYS
    assert (body["min_node_count"], body["max_node_count"]) == (1, 5)
    assert body["node_labels"] == {"team": "a", "n": "2"}
    assert body["node_taints"] == [{"key": "k", "effect": "NoExecute"}]
    shown = wait_status(alice, path, "UPDATE_COMPLETE")
    assert (shown["min_node_count"], shown["max_node_count"]) == (1, 5)
    wait_for(lambda: not unfinished_requests(cluster["uuid"]))
    removed = alice.patch(
        path,
        [
            {"op": "remove", "path": "/min_node_count"},
            {"op": "remove", "path": "/max_node_count"},
            {"op": "add", "path": "/node_labels/extra", "value": "1"},
        ],
    ).json()
    assert (removed["min_node_count"], removed["max_node_count"]) == (0, None)
    assert removed["node_labels"] == {"team": "a", "n": "2", "extra": "1"}


@pytest.mark.parametrize(
    ("path", "ops", "status", "detail"),
    [
        (
            "default-worker",
            [{"op": "replace", "path": "/node_count", "value": 3}],
            400,
            "'/node_count' is an internal attribute and can not be updated",
        ),
        (
            "default-worker",
            [{"op": "replace", "path": "/name", "value": "x"}],
            400,
            "'/name' is an internal attribute and can not be updated",
        ),
        (
            "default-worker",
            [{"op": "add", "path": "/labels/a", "value": "x"}],
            400,
            "'/labels' is an internal attribute and can not be updated",
        ),
        (
            "default-worker",
            [{"op": "add", "path": "/foo", "value": "x"}],
            400,
            "Adding a new attribute /foo to the root of the resource is not allowed.",
        ),
        (
            "default-worker",
            [{"op": "replace", "path": "/max_node_count", "value": "3"}],
            400,
            "Invalid input for field/attribute max_node_count. Value: '3'. "
            "Wrong type. Expected '<class 'int'>', got '<class 'str'>'",
        ),
        (
            "default-worker",
            [{"op": "replace", "path": "/node_labels", "value": "{oops"}],
            400,
            None,
        ),
        (
            "default-worker",
            [{"op": "replace", "path": "/min_node_count", "value": 3}],
            409,
            "min_node_count for default-worker is invalid (min_node_count (3) should be less or "
            "equal to node_count (2)).",
        ),
        (
            "default-worker",
            [{"op": "add", "path": "/max_node_count", "value": 1}],
            409,
            "max_node_count for default-worker is invalid (node_count (2) should be less or "
            "equal to max_node_count (1)).",
        ),
        (
            "default-master",
            [
                {
                    "op": "replace",
                    "path": "/node_taints",
                    "value": "[{'key': 'k', 'effect': 'NoSchedule'}]",
                }
            ],
            409,
            "node_taints for default-master is invalid (node_taints may not be set on master "
            "nodegroups).",
        ),
        (
            "nope",
            [],
            404,
            "Nodegroup nope could not be found.",
        ),
    ],
)
def test_patch_refused_changes_nothing(
    alice: Api, path: str, ops: list[dict[str, Any]], status: int, detail: str | None
) -> None:
    uuid = reachable_cluster(alice, node_count=2)
    before = snapshot()
    error = assert_error(alice.patch(f"{groups(uuid)}/{path}", ops), status, detail)
    if detail is None:
        assert error["detail"].startswith("Couldn't apply patch")
    assert snapshot() == before


# --- delete ---------------------------------------------------------------------------


def test_delete_a_group_through_the_conductor(alice: Api) -> None:
    cluster = running_cluster(alice)
    path = groups(cluster["uuid"])
    created = alice.post(path, {"name": "ng1"}).json()
    wait_status(alice, f"{path}/ng1", "CREATE_COMPLETE")
    wait_for(lambda: not unfinished_requests(cluster["uuid"]))
    response = alice.delete(f"{path}/{created['uuid']}")
    assert response.status_code == 204 and response.content == b""
    wait_for(lambda: alice.get(f"{path}/ng1").status_code == 404)
    assert [g["name"] for g in alice.get(path).json()["nodegroups"]] == [
        "default-master",
        "default-worker",
    ]
    assert alice.get(f"/v1/clusters/{cluster['uuid']}").json()["status"] == "UPDATE_COMPLETE"


def test_delete_refusals_and_intent(alice: Api) -> None:
    uuid = reachable_cluster(alice)
    extra = add_nodegroup(uuid)
    before = snapshot()
    for name in ("default-worker", "default-master"):
        assert_error(
            alice.delete(f"{groups(uuid)}/{name}"),
            400,
            "Deleting a default nodegroup is not supported.",
        )
    assert_error(alice.delete(f"{groups(uuid)}/nope"), 404, "Nodegroup nope could not be found.")
    assert snapshot() == before
    assert alice.delete(f"{groups(uuid)}/extra").status_code == 204
    assert last_request(uuid) == ("nodegroup_delete", {"nodegroup_uuid": extra}, "PENDING")
