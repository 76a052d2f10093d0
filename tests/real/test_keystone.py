"""``auth_strategy = keystone`` against a real Keystone, with Magnum's real CLI.

A Keystone of its own (``scripts/setup-keystone.sh``: gunicorn, SQLite, fernet
tokens, on loopback) holds projects ``project-a`` and ``project-b`` with a member
and a reader each, the service user ``moorage`` Moorage validates tokens with, and
the ``container-infra`` catalog entry pointing at a ``moorage serve`` (test driver)
configured from ``[keystone_authtoken]``.

``openstack coe ...`` (python-openstackclient + python-magnumclient) runs with
password authentication against Keystone and finds Moorage in the catalog: no
endpoint override. Raw HTTP checks cover keystonemiddleware's own 401 and its
token cache. Tests share the servers and run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.real.test_magnum_client import OPENSTACK, TEMPLATE, UUID, Coe
from tests.support.keystone import USERS, Keystone, keystone
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real

UNAUTHORIZED = {
    "error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }
}


class KeystoneCoe(Coe):
    """``openstack coe ...`` as one Keystone user: password auth, endpoint from the catalog."""

    def __init__(self, ks: Keystone, cwd: Path, user: str) -> None:
        super().__init__(OPENSTACK, cwd, "", [])
        self.prefix = [
            str(OPENSTACK), "--debug",
            "--os-auth-type", "password", "--os-identity-api-version", "3",
            "--os-auth-url", ks.auth_url,
            "--os-username", user, "--os-password", ks.password(user),
            "--os-user-domain-id", "default",
            "--os-project-name", USERS[user], "--os-project-domain-id", "default",
            "--os-region-name", "RegionOne", "--os-interface", "public",
        ]  # fmt: skip


@pytest.fixture(scope="module")
def ks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    if not OPENSTACK.exists():
        pytest.fail(f"{OPENSTACK} is missing: run `make clients`")
    with keystone(tmp_path_factory.mktemp("keystone")) as started:
        yield started


@pytest.fixture(scope="module")
def server(ks: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("moorage-keystone"), ks.authtoken_config()) as live:
        # The script again (idempotent): now Moorage's port is known for the catalog.
        ks.setup("start", moorage_endpoint=live.url + "/v1")
        yield live


@pytest.fixture(scope="module")
def project(ks: Keystone) -> dict[str, str]:
    """Project ids by name."""
    return {name: ks.find("projects", name) for name in ("project-a", "project-b", "admin")}


@pytest.fixture(scope="module")
def user(ks: Keystone, server: LiveServer) -> dict[str, KeystoneCoe]:
    return {name: KeystoneCoe(ks, server.state.parent, name) for name in USERS}


@pytest.fixture(scope="module")
def cluster_a(user: dict[str, KeystoneCoe]) -> dict[str, Any]:
    """``ca1`` of project-a, made by a-member from ``ct-a``, settled."""
    member = user["a-member"]
    member.ok("cluster", "template", "create", "ct-a", *TEMPLATE, "--master-flavor", "m1.tiny")
    created = member.ok("cluster", "create", "ca1", "--cluster-template", "ct-a")
    assert created.stdout.startswith("Request to create cluster "), created.evidence
    settled = member.settled("ca1")
    assert settled["status"] == "CREATE_COMPLETE", settled
    return settled


def get(server: LiveServer, path: str, token: str | None = None) -> httpx.Response:
    headers = {"X-Auth-Token": token} if token is not None else {}
    return httpx.get(server.url + path, headers=headers, timeout=30)


# --- raw HTTP: public routes, keystonemiddleware's 401, the token cache -------------


def test_public_routes_need_no_token(server: LiveServer) -> None:
    for path in ("/", "/v1"):
        assert get(server, path).status_code == 200


@pytest.mark.parametrize("token", [None, "", "garbage", "gAAAAABnot-a-fernet-token"])
def test_bad_token_is_401(server: LiveServer, ks: Keystone, token: str | None) -> None:
    response = get(server, "/v1/clusters", token)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == f'Keystone uri="{ks.auth_url}"'
    assert response.headers["x-openstack-request-id"].startswith("req-")
    # keystonemiddleware answers outside Magnum's API: no microversion headers.
    assert "openstack-api-version" not in response.headers


def test_revoked_token_is_401(server: LiveServer, ks: Keystone) -> None:
    token = ks.token("a-member")
    ks.revoke(token)
    response = get(server, "/v1/clusters", token)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_cli_without_token(server: LiveServer) -> None:
    """magnumclient reads keystonemiddleware's body (``{"error": {title, message}}``)."""
    anonymous = Coe(OPENSTACK, server.state.parent, server.url + "/v1", ["--os-auth-type", "none"])
    run = anonymous.fails("cluster", "list")
    # The client shows error.title, as for Magnum behind keystonemiddleware.
    assert run.message.startswith("Unauthorized (HTTP 401)"), run.evidence
    assert "The request you have made requires authentication." in run.stderr


def test_token_cache(server: LiveServer, ks: Keystone) -> None:
    """A validated token is not sent to Keystone again while it is in the cache."""
    token = ks.token("a-reader")
    before = ks.validations()
    assert get(server, "/v1/clusters", token).status_code == 200
    assert ks.validations() == before + 1
    for path in ("/v1/clusters", "/v1/clustertemplates", "/v1/clusters"):
        assert get(server, path, token).status_code == 200
    assert ks.validations() == before + 1


def test_context_from_token(server: LiveServer, ks: Keystone, project: dict[str, str]) -> None:
    """The request acts as the token's user in the token's project."""
    token = ks.token("a-member")
    made = httpx.post(
        server.url + "/v1/clustertemplates",
        json={"name": "ct-raw", "coe": "swarm-mode", "image_id": "fake-image",
              "external_network_id": "public"},
        headers={"X-Auth-Token": token}, timeout=30,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["project_id"] == project["project-a"]
    assert made.json()["user_id"] == ks.find("users", "a-member")
    assert httpx.delete(
        f"{server.url}/v1/clustertemplates/{made.json()['uuid']}",
        headers={"X-Auth-Token": token}, timeout=30,
    ).status_code == 204  # fmt: skip


def test_identity_headers_of_the_caller_are_ignored(server: LiveServer, ks: Keystone) -> None:
    """Only the token says who the caller is: X-Roles, X-Project-Id ... sent along count not."""
    headers = {
        "X-Auth-Token": ks.token("a-reader"),
        "X-Roles": "admin",
        "X-Project-Id": "admin",
        "X-Identity-Status": "Confirmed",
    }
    response = httpx.get(server.url + "/v1/mservices", headers=headers, timeout=30)
    assert response.status_code == 403
    assert response.json()["errors"][0]["detail"] == (
        "Policy doesn't allow magnum-service:get_all to be performed."
    )


# --- Magnum's CLI: password auth, the endpoint from the catalog ---------------------


def test_member_creates_template(user: dict[str, KeystoneCoe], project: dict[str, str]) -> None:
    made = user["a-member"].json("cluster", "template", "create", "ct-mine", *TEMPLATE)
    assert UUID.fullmatch(made["uuid"])
    assert made["project_id"] == project["project-a"]
    shown = user["a-member"].json("cluster", "template", "show", "ct-mine")
    assert shown["uuid"] == made["uuid"]
    listed = user["a-reader"].json("cluster", "template", "list")
    assert "ct-mine" in [row["name"] for row in listed]


def test_reader_reads_but_cannot_create(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]
) -> None:
    reader = user["a-reader"]
    assert [row["name"] for row in reader.json("cluster", "list")] == ["ca1"]
    assert reader.json("cluster", "show", "ca1")["uuid"] == cluster_a["uuid"]
    assert reader.json("cluster", "template", "show", "ct-a")["name"] == "ct-a"
    run = reader.fails("cluster", "template", "create", "ct-reader", *TEMPLATE)
    assert run.message.startswith(
        "Policy doesn't allow clustertemplate:create to be performed (HTTP 403)"
    )
    run = reader.fails("cluster", "create", "cr", "--cluster-template", "ct-a")
    assert run.message.startswith("Policy doesn't allow cluster:create to be performed (HTTP 403)")
    run = reader.fails("cluster", "delete", "ca1")
    assert "Policy doesn't allow cluster:delete to be performed (HTTP 403)" in run.stderr


def test_member_cluster(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any], project: dict[str, str]
) -> None:
    member = user["a-member"]
    assert cluster_a["project_id"] == project["project-a"]
    assert [row["name"] for row in member.json("cluster", "list")] == ["ca1"]
    assert member.json("cluster", "show", cluster_a["uuid"])["name"] == "ca1"


def test_other_project_sees_nothing(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]
) -> None:
    for name in ("b-member", "b-reader"):
        other = user[name]
        assert other.json("cluster", "list") == []
        for ident in ("ca1", cluster_a["uuid"]):
            run = other.fails("cluster", "show", ident)
            assert run.message.startswith(f"Cluster {ident} could not be found (HTTP 404)")
        run = other.fails("cluster", "template", "show", "ct-a")
        assert run.message.startswith("ClusterTemplate ct-a could not be found (HTTP 404)")
        listed = other.json("cluster", "template", "list")
        assert "ct-a" not in [row["name"] for row in listed]
    run = user["b-member"].fails("cluster", "delete", "ca1")
    assert "Cluster ca1 could not be found (HTTP 404)" in run.stderr


def test_admin_sees_every_project(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any], project: dict[str, str]
) -> None:
    admin = user["admin"]
    assert "ca1" in [row["name"] for row in admin.json("cluster", "list")]
    shown = admin.json("cluster", "show", cluster_a["uuid"])
    assert shown["project_id"] == project["project-a"]


def test_stats(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any], project: dict[str, str]
) -> None:
    nodes = str(cluster_a["master_count"] + cluster_a["node_count"])
    own = user["a-reader"].ok("stats", "list", project["project-a"]).properties()
    assert own == {"clusters": "1", "nodes": nodes}
    empty = user["b-member"].ok("stats", "list", project["project-b"]).properties()
    assert empty == {"clusters": "0", "nodes": "0"}
    run = user["b-member"].fails("stats", "list", project["project-a"])
    assert run.message.startswith("Not authorized (HTTP 403)")


def test_quotas(user: dict[str, KeystoneCoe], project: dict[str, str]) -> None:
    a = project["project-a"]
    run = user["a-member"].quota("create", a)
    assert run.stdout.startswith(
        f"Create quota for project_id {a} resource Cluster failed: "
        "Policy doesn't allow quota:create to be performed (HTTP 403)"
    ), run.evidence
    made = user["admin"].quota("create", a, "--hard-limit", "7")
    assert made.properties()["hard_limit"] == "7"
    assert user["a-reader"].quota("show", a).properties()["hard_limit"] == "7"
    other = user["b-member"].quota("show", a, ok=False)
    assert other.message.startswith("Not authorized (HTTP 403)")
    every = user["admin"].ok("quotas", "list", "--all-tenants").table()
    assert {"project_id": a, "resource": "Cluster", "hard_limit": "7"} in every
    user["admin"].quota("delete", a)


def test_service_list_is_for_admins(user: dict[str, KeystoneCoe]) -> None:
    run = user["a-member"].fails("service", "list")
    assert run.message.startswith(
        "Policy doesn't allow magnum-service:get_all to be performed (HTTP 403)"
    )
    services = user["admin"].json("service", "list")
    assert [s["binary"] for s in services] == ["magnum-conductor"]
    assert services[0]["state"] == "up"


def test_cluster_delete(user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]) -> None:
    member = user["a-member"]
    run = member.ok("cluster", "delete", "ca1")
    assert run.stdout == "Request to delete cluster ca1 has been accepted.\n"
    member.gone("ca1")
    assert member.json("cluster", "list") == []
    assert user["admin"].json("cluster", "list") == []


# --- last: Keystone goes away --------------------------------------------------------


def test_cached_token_works_while_keystone_is_down(server: LiveServer, ks: Keystone) -> None:
    """A validated token is answered from the cache; an unknown one gets 503 (no Keystone)."""
    cached, unknown = ks.token("b-member"), ks.token("b-reader")
    assert get(server, "/v1/clusters", cached).status_code == 200
    ks.setup("stop")
    assert get(server, "/v1/clusters", cached).status_code == 200
    assert get(server, "/v1/clustertemplates", cached).status_code == 200
    response = get(server, "/v1/clusters", unknown)
    assert response.status_code == 503
    assert "The Keystone service is temporarily unavailable." in response.text
