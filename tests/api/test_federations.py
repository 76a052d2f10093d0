"""``/v1/federations``: recorded groups of clusters around a host cluster."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from moorage.api.routes.federations import RECORDED
from moorage.db import models
from tests.api.conftest import Api, assert_error
from tests.support import factories

DETAIL = {
    "uuid",
    "name",
    "hostcluster_id",
    "member_ids",
    "status",
    "status_reason",
    "properties",
    "links",
    "created_at",
    "updated_at",
}
SUMMARY = {"uuid", "name", "hostcluster_id", "member_ids", "status", "properties", "links"}


@pytest.fixture
def host(alice: Api) -> models.Cluster:
    return factories.cluster("project-a", "alice", name="host", with_ca=False)


@pytest.fixture
def member(alice: Api) -> models.Cluster:
    return factories.cluster("project-a", "alice", name="member", with_ca=False)


def body(host: models.Cluster, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "fed",
        "hostcluster_id": host.uuid,
        "properties": {"dns-zone": "example.com."},
        **overrides,
    }


def create(api: Api, payload: dict[str, Any]) -> str:
    response = api.post("/v1/federations", payload)
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"uuid"}
    uuid: str = response.json()["uuid"]
    return uuid


def patch(api: Api, ident: str, *ops: dict[str, Any], query: str = "") -> Any:
    return api.patch(f"/v1/federations/{ident}{query}", list(ops))


# --- create and show ---------------------------------------------------------------------


def test_create_and_show(alice: Api, host: models.Cluster, member: models.Cluster) -> None:
    uuid = create(alice, body(host, member_ids=["member"]))
    response = alice.get(f"/v1/federations/{uuid}")
    assert response.status_code == 200, response.text
    shown = response.json()
    assert set(shown) == DETAIL
    assert shown["uuid"] == uuid
    assert shown["name"] == "fed"
    assert shown["hostcluster_id"] == host.uuid
    assert shown["member_ids"] == [member.uuid]
    assert shown["status"] == "CREATE_COMPLETE"
    assert shown["status_reason"] == RECORDED
    assert shown["properties"] == {"dns-zone": "example.com."}
    assert shown["links"] == [
        {"href": f"http://testserver/v1/federations/{uuid}", "rel": "self"},
        {"href": f"http://testserver/federations/{uuid}", "rel": "bookmark"},
    ]
    assert shown["created_at"].endswith("+00:00")
    assert alice.get("/v1/federations/fed").json() == shown


def test_create_by_host_name_and_generated_name(alice: Api, host: models.Cluster) -> None:
    uuid = create(alice, body(host, name=None, hostcluster_id="host", uuid="ignored"))
    shown = alice.get(f"/v1/federations/{uuid}").json()
    assert shown["hostcluster_id"] == host.uuid
    assert re.fullmatch(r"[a-z]+-\d\d-federation", shown["name"])
    assert shown["member_ids"] == []


def test_create_errors(alice: Api, bob: Api, host: models.Cluster) -> None:
    post = lambda payload: alice.post("/v1/federations", payload)  # noqa: E731
    assert_error(
        post(body(host, hostcluster_id=None)),
        400,
        "No hostcluster specified. Please specify a hostcluster_id.",
    )
    assert_error(post(body(host, hostcluster_id="nope")), 404, "Cluster nope could not be found.")
    assert_error(
        bob.post("/v1/federations", body(host)),
        404,
        f"Cluster {host.uuid} could not be found.",
    )
    assert_error(
        post(body(host, properties=None)),
        400,
        "Please specify a `properties` dict for the federation.",
    )
    assert_error(
        post(body(host, properties={"zone": "x"})),
        400,
        "No DNS zone specified. Please specify a `dns-zone`.",
    )
    assert_error(
        post(body(host, name="1bad")),
        400,
        "Invalid input for field/attribute name. Value: '1bad'. "
        "Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$",
    )
    assert_error(
        post(body(host, status="CREATE_COMPLETE")),
        400,
        "Invalid input for field/attribute status. Value: 'CREATE_COMPLETE'. "
        "Cannot set read only field.",
    )
    assert_error(post(body(host, foo=1)), 400, "Unknown attribute for argument federation: foo")
    assert_error(post(body(host, member_ids=["ghost"])), 404, "Cluster ghost could not be found.")
    assert alice.get("/v1/federations").json() == {"federations": []}


def test_create_needs_a_member(as_user: Callable[[str], Api], host: models.Cluster) -> None:
    assert_error(
        as_user("ann").post("/v1/federations", body(host)),
        403,
        "Policy doesn't allow federation:create to be performed.",
    )


def test_show_scope(
    alice: Api, bob: Api, admin: Api, as_user: Callable[[str], Api], host: models.Cluster
) -> None:
    uuid = create(alice, body(host))
    assert as_user("ann").get(f"/v1/federations/{uuid}").status_code == 200
    missing = f"Federation {uuid} could not be found."
    assert_error(bob.get(f"/v1/federations/{uuid}"), 404, missing)
    assert_error(admin.get(f"/v1/federations/{uuid}"), 404, missing)
    assert_error(alice.get("/v1/federations/nope"), 404, "Federation nope could not be found.")
    create(alice, body(host))
    assert_error(
        alice.get("/v1/federations/fed"),
        409,
        "Multiple federations exist with same name 'fed'. Please use the federation UUID instead.",
    )


# --- lists -------------------------------------------------------------------------------


def test_list_and_detail(alice: Api, bob: Api, admin: Api, host: models.Cluster) -> None:
    first = create(alice, body(host, name="a"))
    second = create(alice, body(host, name="b"))
    listed = alice.get("/v1/federations").json()
    assert [f["uuid"] for f in listed["federations"]] == [first, second]
    assert all(set(f) == SUMMARY for f in listed["federations"])
    assert "next" not in listed
    detailed = alice.get("/v1/federations/detail").json()
    assert all(set(f) == DETAIL for f in detailed["federations"])
    assert detailed["federations"][0] == alice.get(f"/v1/federations/{first}").json()
    assert bob.get("/v1/federations").json() == {"federations": []}
    # Project scope only, for admins too.
    assert admin.get("/v1/federations/detail").json() == {"federations": []}


def test_list_paging(alice: Api, host: models.Cluster) -> None:
    uuids = [create(alice, body(host, name=f"f{i}")) for i in range(3)]
    page = alice.get("/v1/federations?limit=2").json()
    assert [f["uuid"] for f in page["federations"]] == uuids[:2]
    assert page["next"] == (
        f"http://testserver/v1/federations?sort_key=id&sort_dir=asc&limit=2&marker={uuids[1]}"
    )
    detail = alice.get("/v1/federations/detail?limit=2").json()
    assert detail["next"].startswith("http://testserver/v1/federations/detail?sort_key=id")
    rest = alice.get(f"/v1/federations?limit=2&marker={uuids[1]}").json()
    assert [f["uuid"] for f in rest["federations"]] == uuids[2:]
    by_name = alice.get("/v1/federations?sort_key=name&sort_dir=desc").json()
    assert [f["name"] for f in by_name["federations"]] == ["f2", "f1", "f0"]


def test_list_errors(
    alice: Api, bob: Api, as_user: Callable[[str], Api], host: models.Cluster
) -> None:
    assert_error(alice.get("/v1/federations?limit=-1"), 400, "Limit must be positive")
    assert_error(
        alice.get("/v1/federations?marker=abc"),
        400,
        "Invalid input for field/attribute marker. Value: 'abc'. "
        "unable to convert to uuid. Error: Expected a uuid but received abc.",
    )
    uuid = create(alice, body(host))
    assert_error(
        bob.get(f"/v1/federations?marker={uuid}"),
        404,
        f"Federation {uuid} could not be found.",
    )
    assert_error(
        alice.get("/v1/federations?sort_key=bogus"),
        400,
        'The sort_key value "bogus" is an invalid field for sorting',
    )
    assert_error(alice.get("/v1/federations?all_tenants=1"), 400, 'Unknown argument: "all_tenants"')
    assert as_user("ann").get("/v1/federations/detail").status_code == 200


# --- membership and other updates ----------------------------------------------------------


def test_join_and_leave(alice: Api, host: models.Cluster, member: models.Cluster) -> None:
    uuid = create(alice, body(host))
    response = patch(alice, uuid, {"op": "add", "path": "/member_ids", "value": member.uuid})
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": uuid}
    shown = alice.get(f"/v1/federations/{uuid}").json()
    assert shown["member_ids"] == [member.uuid]
    assert shown["status"] == "UPDATE_COMPLETE"
    assert shown["status_reason"] == RECORDED
    assert shown["updated_at"] is not None
    patch(alice, "fed", {"op": "add", "path": "/member_ids", "value": host.uuid})
    assert alice.get(f"/v1/federations/{uuid}").json()["member_ids"] == [member.uuid, host.uuid]
    left = patch(alice, uuid, {"op": "remove", "path": "/member_ids", "value": member.uuid})
    assert left.status_code == 202, left.text
    assert alice.get(f"/v1/federations/{uuid}").json()["member_ids"] == [host.uuid]


def test_membership_errors(alice: Api, host: models.Cluster, member: models.Cluster) -> None:
    uuid = create(alice, body(host, member_ids=[member.uuid]))
    assert_error(
        patch(alice, uuid, {"op": "add", "path": "/member_ids", "value": member.uuid}),
        409,
        f"A cluster with UUID {member.uuid} is already a member of the federation fed.",
    )
    ghost = "2f1b4bde-2c43-4f7e-9d5e-3f0ee63a5f6b"
    assert_error(
        patch(alice, uuid, {"op": "add", "path": "/member_ids", "value": ghost}),
        404,
        f"Cluster {ghost} could not be found.",
    )
    assert_error(
        patch(alice, uuid, {"op": "remove", "path": "/member_ids", "value": host.uuid}),
        404,
        f"Cluster {host.uuid} is not a member of the federation fed.",
    )
    assert_error(
        patch(alice, uuid, {"op": "remove", "path": "/member_ids", "value": ghost}),
        404,
        f"Cluster {ghost} could not be found.",
    )
    assert alice.get(f"/v1/federations/{uuid}").json()["member_ids"] == [member.uuid]


def test_other_projects_cluster_cannot_join(alice: Api, bob: Api, host: models.Cluster) -> None:
    bobs = factories.cluster("project-b", "bob", name="bobs", with_ca=False)
    uuid = create(alice, body(host))
    assert_error(
        patch(alice, uuid, {"op": "add", "path": "/member_ids", "value": bobs.uuid}),
        404,
        f"Cluster {bobs.uuid} could not be found.",
    )


def test_properties_may_change(alice: Api, host: models.Cluster) -> None:
    uuid = create(alice, body(host))
    response = patch(
        alice,
        uuid,
        {"op": "replace", "path": "/properties/dns-zone", "value": "other.org."},
        {"op": "add", "path": "/properties/ttl", "value": 60},
        query="?rollback=True",
    )
    assert response.status_code == 202, response.text
    shown = alice.get(f"/v1/federations/{uuid}").json()
    assert shown["properties"] == {"dns-zone": "other.org.", "ttl": "60"}


def test_update_refusals(
    alice: Api, bob: Api, as_user: Callable[[str], Api], host: models.Cluster
) -> None:
    uuid = create(alice, body(host))
    assert_error(
        patch(alice, uuid, {"op": "replace", "path": "/name", "value": "renamed"}),
        400,
        "cannot change federation property(ies) name.",
    )
    assert_error(
        patch(
            alice,
            uuid,
            {"op": "replace", "path": "/status", "value": "DELETE_FAILED"},
            {"op": "remove", "path": "/hostcluster_id"},
        ),
        400,
        "cannot change federation property(ies) hostcluster_id, status.",
    )
    assert_error(
        patch(alice, uuid, {"op": "replace", "path": "/uuid", "value": "x"}),
        400,
        "'/uuid' is an internal attribute and can not be updated",
    )
    assert_error(
        patch(alice, uuid, {"op": "replace", "path": "/member_ids", "value": "x"}),
        400,
        "Invalid input for field/attribute member_ids. Value: 'x'. "
        "Wrong type. Expected '<class 'list'>', got '<class 'str'>'",
    )
    assert_error(
        patch(alice, uuid, query="?rollback=maybe"),
        400,
        "Invalid input for field/attribute rollback. Value: 'maybe'. Unrecognized value "
        "'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', "
        "'t', 'true', 'y', 'yes'",
    )
    assert_error(
        patch(as_user("ann"), uuid, {"op": "add", "path": "/properties/a", "value": "b"}),
        403,
        "Policy doesn't allow federation:update to be performed.",
    )
    assert_error(
        patch(bob, uuid, {"op": "add", "path": "/properties/a", "value": "b"}),
        404,
        f"Federation {uuid} could not be found.",
    )
    shown = alice.get(f"/v1/federations/{uuid}").json()
    assert shown["status"] == "CREATE_COMPLETE"
    assert shown["properties"] == {"dns-zone": "example.com."}


# --- delete ------------------------------------------------------------------------------


def test_delete(alice: Api, bob: Api, as_user: Callable[[str], Api], host: models.Cluster) -> None:
    uuid = create(alice, body(host))
    assert_error(
        as_user("ann").delete(f"/v1/federations/{uuid}"),
        403,
        "Policy doesn't allow federation:delete to be performed.",
    )
    assert_error(
        bob.delete(f"/v1/federations/{uuid}"), 404, f"Federation {uuid} could not be found."
    )
    response = as_user("alice2").delete("/v1/federations/fed")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        alice.get(f"/v1/federations/{uuid}"), 404, f"Federation {uuid} could not be found."
    )
