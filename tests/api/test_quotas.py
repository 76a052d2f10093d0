"""``/v1/quotas``: admin-managed cluster limits per project."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import quotas
from moorage.db.session import transaction
from tests.api.conftest import Api, assert_error
from tests.api.test_clusters import make_template, post_cluster, wait_status

KEYS = {"id", "project_id", "resource", "hard_limit", "created_at", "updated_at"}


@pytest.fixture
def default_limit() -> Iterator[int]:
    CONF.set_override("max_clusters_per_project", 7, group="quotas")
    yield 7
    CONF.clear_override("max_clusters_per_project", group="quotas")


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/quotas", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_with_defaults(admin: Api) -> None:
    body = create(admin, project_id="project-a")
    assert set(body) == KEYS
    assert body["project_id"] == "project-a"
    assert body["resource"] == "Cluster"
    assert body["hard_limit"] == 1
    assert isinstance(body["id"], int)
    assert body["created_at"].endswith("+00:00")
    assert body["updated_at"] is None
    shown = admin.get("/v1/quotas/project-a/Cluster").json()
    assert shown == body


def test_create_sets_the_enforced_limit(admin: Api, default_limit: int) -> None:
    """Any project id is accepted (no Keystone to ask) and becomes the cluster limit."""
    create(admin, project_id="no-such-project", resource="Cluster", hard_limit=0)
    with transaction() as session:
        assert quotas.cluster_limit(session, "no-such-project") == 0
        assert quotas.cluster_limit(session, "project-a") == default_limit


def test_create_errors(admin: Api) -> None:
    post = lambda body: admin.post("/v1/quotas", body)  # noqa: E731
    assert_error(post({"hard_limit": 3}), 400, "Must provide a valid project ID.")
    assert_error(post({"project_id": None}), 400, "Must provide a valid project ID.")
    assert_error(
        post({"project_id": ""}),
        400,
        "Invalid input for field/attribute project_id. Value: ''. "
        "Value should have a minimum character requirement of 1",
    )
    assert_error(
        post({"project_id": "p", "resource": "Node"}),
        400,
        "Invalid input for field/attribute resource. Value: 'Node'. Value should be one of: Cluster",
    )
    assert_error(
        post({"project_id": "p", "hard_limit": -1}),
        400,
        "Invalid input for field/attribute hard_limit. Value: '-1'. "
        "Value should be greater or equal to 0",
    )
    assert_error(
        post({"project_id": "p", "hard_limit": 2**31}),
        400,
        "Invalid input for field/attribute hard_limit. Value: '2147483648'. "
        "Value should be lower or equal to 2147483647",
    )
    assert_error(
        post({"project_id": "p", "id": 3}),
        400,
        "Invalid input for field/attribute id. Value: '3'. Cannot set read only field.",
    )
    assert_error(
        post({"project_id": "p", "foo": 1}), 400, "Unknown attribute for argument quota: foo"
    )
    create(admin, project_id="p", hard_limit=5)
    assert_error(
        post({"project_id": "p", "hard_limit": 9}),
        409,
        "Quota for project p already exists for resource Cluster.",
    )


@pytest.mark.parametrize("user", ["alice", "ann", "bob"])
def test_admin_only_routes(as_user: Callable[[str], Api], admin: Api, user: str) -> None:
    create(admin, project_id="project-a")
    api = as_user(user)
    assert_error(
        api.post("/v1/quotas", {"project_id": "project-a"}),
        403,
        "Policy doesn't allow quota:create to be performed.",
    )
    assert_error(api.get("/v1/quotas"), 403, "Policy doesn't allow quota:get_all to be performed.")
    assert_error(
        api.patch("/v1/quotas/project-a/Cluster", {"hard_limit": 9}),
        403,
        "Policy doesn't allow quota:update to be performed.",
    )
    assert_error(
        api.delete("/v1/quotas/project-a/Cluster"),
        403,
        "Policy doesn't allow quota:delete to be performed.",
    )
    assert admin.get("/v1/quotas/project-a/Cluster").json()["hard_limit"] == 1


def test_show(
    admin: Api, alice: Api, bob: Api, as_user: Callable[[str], Api], default_limit: int
) -> None:
    created = create(admin, project_id="project-a", hard_limit=4)
    assert alice.get("/v1/quotas/project-a/Cluster").json() == created
    assert as_user("ann").get("/v1/quotas/project-a/Cluster").json() == created
    assert_error(bob.get("/v1/quotas/project-a/Cluster"), 403, "Not authorized.")
    # No row: the configured default, with the default resource and no id.
    assert bob.get("/v1/quotas/project-b/Cluster").json() == {
        "project_id": "project-b",
        "resource": "Cluster",
        "hard_limit": default_limit,
    }
    assert admin.get("/v1/quotas/project-b/Whatever").json()["resource"] == "Cluster"


def test_update(admin: Api) -> None:
    created = create(admin, project_id="project-a", hard_limit=4)
    response = admin.patch(
        "/v1/quotas/project-a/Cluster",
        {"project_id": "ignored", "resource": "Cluster", "hard_limit": 10},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["id"] == created["id"]
    assert body["project_id"] == "project-a"
    assert body["hard_limit"] == 10
    assert body["updated_at"] is not None
    # An omitted hard_limit means 1, as python-magnumclient's default.
    assert admin.patch("/v1/quotas/project-a/Cluster", {}).json()["hard_limit"] == 1
    assert admin.get("/v1/quotas/project-a/Cluster").json()["hard_limit"] == 1


def test_update_errors(admin: Api) -> None:
    assert_error(
        admin.patch("/v1/quotas/project-z/Cluster", {"hard_limit": 2}),
        404,
        "Quota could not be found: project_id project-z resource Cluster.",
    )
    create(admin, project_id="project-a")
    assert_error(
        admin.patch("/v1/quotas/project-a/Cluster", {"foo": 2}),
        400,
        "Unknown attribute for argument quotapatch: foo",
    )
    assert_error(
        admin.patch("/v1/quotas/project-a/Cluster", {"hard_limit": "many"}),
        400,
        "Invalid input for field/attribute hard_limit. Value: 'many'. "
        "Wrong type. Expected '<class 'int'>', got '<class 'str'>'",
    )


def test_delete(admin: Api, default_limit: int) -> None:
    create(admin, project_id="project-a", hard_limit=4)
    response = admin.delete("/v1/quotas/project-a/Cluster")
    assert response.status_code == 204
    assert response.content == b""
    assert admin.get("/v1/quotas/project-a/Cluster").json()["hard_limit"] == default_limit
    assert_error(
        admin.delete("/v1/quotas/project-a/Cluster"),
        404,
        "Quota could not be found: project_id project-a resource Cluster.",
    )


def test_list_own_project_unless_all_tenants(admin: Api) -> None:
    own = create(admin, project_id="admin-project")
    other = create(admin, project_id="project-a")
    assert admin.get("/v1/quotas").json() == {"quotas": [own]}
    assert admin.get("/v1/quotas?all_tenants=false").json() == {"quotas": [own]}
    everyone = admin.get("/v1/quotas?all_tenants=True").json()
    assert everyone == {"quotas": [own, other]}
    assert_error(
        admin.get("/v1/quotas?all_tenants=maybe"),
        400,
        "Invalid input for field/attribute all_tenants. Value: 'maybe'. Unrecognized value "
        "'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', "
        "'t', 'true', 'y', 'yes'",
    )


def test_list_paging_by_integer_id(admin: Api) -> None:
    made = [create(admin, project_id=f"p{i}", hard_limit=i) for i in range(3)]
    first = admin.get("/v1/quotas?all_tenants=1&limit=2").json()
    assert first["quotas"] == made[:2]
    assert first["next"] == (
        f"http://testserver/v1/quotas?sort_key=id&sort_dir=asc&limit=2&marker={made[1]['id']}"
    )
    second = admin.get(f"/v1/quotas?all_tenants=1&limit=2&marker={made[1]['id']}").json()
    assert second == {"quotas": made[2:]}
    by_limit = admin.get("/v1/quotas?all_tenants=1&sort_key=hard_limit&sort_dir=desc").json()
    assert [q["hard_limit"] for q in by_limit["quotas"]] == [2, 1, 0]


def test_list_paging_errors(admin: Api) -> None:
    assert_error(admin.get("/v1/quotas?limit=0"), 400, "Limit must be positive")
    assert_error(
        admin.get("/v1/quotas?sort_key=nope"),
        400,
        'The sort_key value "nope" is an invalid field for sorting',
    )
    assert_error(
        admin.get("/v1/quotas?sort_dir=up"),
        400,
        "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'",
    )
    assert_error(
        admin.get("/v1/quotas?marker=999"), 404, "Quota could not be found: quota id 999 ."
    )
    assert_error(admin.get("/v1/quotas?marker=abc"), 400)
    huge = 10**30
    assert_error(
        admin.get(f"/v1/quotas?marker={huge}"), 404, f"Quota could not be found: quota id {huge} ."
    )
    assert_error(admin.get("/v1/quotas?foo=1"), 400, 'Unknown argument: "foo"')
    # A marker from another project is found, as in Magnum (clients drop all_tenants
    # when they follow `next`); the page after it is still the caller's own rows.
    other = create(admin, project_id="project-a")
    response = admin.get(f"/v1/quotas?marker={other['id']}")
    assert response.status_code == 200 and response.json()["quotas"] == []


def test_quota_rows_limit_cluster_create(admin: Api, alice: Api) -> None:
    """A quota made here is what cluster create enforces (api.md section 13.3)."""
    template = make_template(alice)["uuid"]
    create(admin, project_id="project-a", hard_limit=1)
    first = post_cluster(alice, template)
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template}),
        403,
        "Resource limit exceeded: You have reached the maximum clusters per project, 1. "
        "You may delete a cluster to make room for a new one.",
    )
    admin.patch("/v1/quotas/project-a/Cluster", {"hard_limit": 2})
    second = post_cluster(alice, template)
    # Let the conductor finish, so that no cast outlives the test's database.
    for uuid in (first, second):
        wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_COMPLETE")
