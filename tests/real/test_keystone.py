"""``auth_strategy = keystone`` against a real Keystone, with Magnum's real CLI.

A Keystone of its own (``scripts/setup-keystone.sh``: gunicorn, SQLite, fernet
tokens, on loopback) holds projects ``project-a`` and ``project-b`` with a member
and a reader each, the service user ``moorage`` Moorage validates tokens with, and
the ``container-infra`` catalog entry pointing at a ``moorage serve`` (test driver)
configured from ``[keystone_authtoken]``.

``openstack coe ...`` (python-openstackclient + python-magnumclient) runs with
password authentication against Keystone and finds Moorage in the catalog: no
endpoint override. Every command runs as a member of project A and is tried by
A's reader (403 where it changes something), by project B's users (404) and by
the admin. Raw HTTP checks cover keystonemiddleware's own 401 (missing, garbage,
revoked, expired tokens, a deleted user or project, a bad service token), the
token cache, and system-scoped tokens. ``scripts/coe_matrix.py`` turns the
outcome into the README's table. Tests share the servers and run in file order.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from tests.real.test_magnum_client import OPENSTACK, TEMPLATE, UUID, Coe, csr_pem
from tests.support.keystone import USERS, Keystone, keystone
from tests.support.live import LiveServer, serve
from tests.support.memcached import memcached

pytestmark = pytest.mark.real

# keystonemiddleware keeps a validated token this long ([keystone_authtoken]
# token_cache_time; 300 s by default): short here so that the tests can outwait it.
TOKEN_CACHE_SECONDS = 15

UNAUTHORIZED = {
    "error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }
}


class KeystoneCoe(Coe):
    """``openstack coe ...`` as one Keystone user: password auth, endpoint from the catalog."""

    def __init__(self, ks: Keystone, cwd: Path, user: str, project: str | None = None) -> None:
        super().__init__(OPENSTACK, cwd, "", [])
        self.prefix = [
            str(OPENSTACK), "--debug",
            "--os-auth-type", "password", "--os-identity-api-version", "3",
            "--os-auth-url", ks.auth_url,
            "--os-username", user, "--os-password", ks.password(user),
            "--os-user-domain-id", "default",
            "--os-project-name", project or USERS[user], "--os-project-domain-id", "default",
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
    config = ks.authtoken_config() + f"token_cache_time = {TOKEN_CACHE_SECONDS}\n"
    with serve(tmp_path_factory.mktemp("moorage-keystone"), config) as live:
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
    member.ok("cluster", "template", "create", "ct-a", *TEMPLATE)
    created = member.ok("cluster", "create", "ca1", "--cluster-template", "ct-a")
    assert created.stdout.startswith("Request to create cluster "), created.evidence
    settled = member.settled("ca1")
    assert settled["status"] == "CREATE_COMPLETE", settled
    return settled


def get(server: LiveServer, path: str, token: str | None = None) -> httpx.Response:
    headers = {"X-Auth-Token": token} if token is not None else {}
    return httpx.get(server.url + path, headers=headers, timeout=30)


def post_template(server: LiveServer, token: str, name: str) -> httpx.Response:
    """``POST /v1/clustertemplates`` of a minimal template with ``token``."""
    body = {
        "name": name,
        "coe": "swarm-mode",
        "image_id": "fake-image",
        "external_network_id": "public",
    }
    return httpx.post(
        server.url + "/v1/clustertemplates", json=body, headers={"X-Auth-Token": token}, timeout=30
    )


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
    made = post_template(server, token, "ct-raw")
    assert made.status_code == 201, made.text
    assert made.json()["project_id"] == project["project-a"]
    assert made.json()["user_id"] == ks.find("users", "a-member")
    assert httpx.delete(
        f"{server.url}/v1/clustertemplates/{made.json()['uuid']}",
        headers={"X-Auth-Token": token}, timeout=30,
    ).status_code == 204  # fmt: skip


def test_service_token(server: LiveServer, ks: Keystone) -> None:
    """An ``X-Service-Token`` is validated as keystonemiddleware defines: a bad one is 401."""
    token, service = ks.token("a-reader"), ks.token("moorage", "service")
    both = {"X-Auth-Token": token, "X-Service-Token": service}
    assert httpx.get(server.url + "/v1/clusters", headers=both, timeout=30).status_code == 200
    bad = {"X-Auth-Token": token, "X-Service-Token": "garbage"}
    response = httpx.get(server.url + "/v1/clusters", headers=bad, timeout=30)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


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


def test_template_update_delete_publish(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]
) -> None:
    member, reader, other = user["a-member"], user["a-reader"], user["b-member"]
    updated = member.json("cluster", "template", "update", "ct-mine", "--docker-volume-size", "5")
    assert updated["docker_volume_size"] == 5
    run = reader.fails("cluster", "template", "update", "ct-mine", "--docker-volume-size", "6")
    assert run.message.startswith(
        "Policy doesn't allow clustertemplate:update to be performed (HTTP 403)"
    )
    run = other.fails("cluster", "template", "update", "ct-mine", "--docker-volume-size", "6")
    assert run.message.startswith("ClusterTemplate ct-mine could not be found (HTTP 404)")
    run = member.fails("cluster", "template", "update", "ct-mine", "--public")
    assert run.message.startswith(
        "Not authorized to set public or hidden flag for cluster template (HTTP 403)"
    )
    # Only admin publishes; a public template is seen, not changed, by every project.
    public = user["admin"].json("cluster", "template", "create", "ct-public", *TEMPLATE, "--public")
    assert public["public"] is True
    assert other.json("cluster", "template", "show", "ct-public")["uuid"] == public["uuid"]
    run = other.fails("cluster", "template", "update", "ct-public", "--docker-volume-size", "6")
    assert run.message.startswith(
        "Policy doesn't allow clustertemplate:update to be performed (HTTP 403)"
    )
    run = other.ok("cluster", "template", "delete", "ct-a")
    assert "ClusterTemplate ct-a could not be found (HTTP 404)" in run.stdout, run.evidence
    run = member.ok("cluster", "template", "delete", "ct-mine")
    assert run.stdout == "Request to delete cluster template ct-mine has been accepted.\n"
    user["admin"].ok("cluster", "template", "delete", "ct-public")


def test_cluster_update_and_resize(user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]) -> None:
    member = user["a-member"]
    run = member.ok("cluster", "update", "ca1", "--node-count", "2")
    assert run.stdout == "Request to update cluster ca1 has been accepted.\n"
    settled = member.settled("ca1")
    assert (settled["status"], settled["node_count"]) == ("UPDATE_COMPLETE", 2), settled
    run = member.ok("cluster", "resize", "ca1", "1")
    assert run.stdout == "Request to resize cluster ca1 has been accepted.\n"
    settled = member.settled("ca1")
    assert (settled["status"], settled["node_count"]) == ("UPDATE_COMPLETE", 1), settled
    for action, args in (("update", ("--node-count", "3")), ("resize", ("3",))):
        run = user["a-reader"].fails("cluster", action, "ca1", *args)
        assert f"Policy doesn't allow cluster:{action} to be performed (HTTP 403)" in run.stderr
        run = user["b-member"].fails("cluster", action, "ca1", *args)
        assert "Cluster ca1 could not be found (HTTP 404)" in run.stderr
    assert member.json("cluster", "show", "ca1")["node_count"] == 1


def test_cluster_upgrade(user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]) -> None:
    member = user["a-member"]
    target = member.json(
        "cluster", "template", "create", "ct-a2", *TEMPLATE, "--flavor", "m1.small",
    )  # fmt: skip
    run = user["a-reader"].fails("cluster", "upgrade", "ca1", "ct-a2")
    assert run.message.startswith("Policy doesn't allow cluster:upgrade to be performed (HTTP 403)")
    run = user["b-member"].fails("cluster", "upgrade", "ca1", "ct-a2")
    assert run.message.startswith("Cluster ca1 could not be found (HTTP 404)")
    run = member.ok("cluster", "upgrade", "ca1", "ct-a2")
    assert run.stdout == "Request to upgrade cluster ca1 has been accepted.\n"
    settled = member.settled("ca1")
    assert settled["status"] == "UPDATE_COMPLETE", settled
    assert settled["cluster_template_id"] == target["uuid"]


def test_nodegroups(user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]) -> None:
    member, reader = user["a-member"], user["a-reader"]
    run = member.ok("nodegroup", "create", "ca1", "ng-a", "--node-count", "1", "--max-nodes", "2")
    assert run.stdout.startswith("Request to create nodegroup "), run.evidence
    shown = member.nodegroup_settled("ca1", "ng-a")
    assert (shown["status"], shown["project_id"]) == ("CREATE_COMPLETE", cluster_a["project_id"])
    names = ["default-master", "default-worker", "ng-a"]
    assert [row["name"] for row in reader.json("nodegroup", "list", "ca1")] == names
    assert reader.json("nodegroup", "show", "ca1", "ng-a")["uuid"] == shown["uuid"]
    assert [row["name"] for row in user["admin"].json("nodegroup", "list", cluster_a["uuid"])] == (
        names
    )
    run = member.ok("nodegroup", "update", "ca1", "ng-a", "--max-nodes", "3")
    assert run.stdout == "Request to update nodegroup ng-a has been accepted.\n"
    assert member.json("nodegroup", "show", "ca1", "ng-a")["max_node_count"] == 3
    run = reader.fails("nodegroup", "create", "ca1", "ng-r")
    assert run.message.startswith(
        "Policy doesn't allow nodegroup:create to be performed (HTTP 403)"
    )
    run = reader.fails("nodegroup", "update", "ca1", "ng-a", "--max-nodes", "4")
    assert run.message.startswith(
        "Policy doesn't allow nodegroup:update to be performed (HTTP 403)"
    )
    for args in (("list", "ca1"), ("show", "ca1", "ng-a"), ("delete", "ca1", "ng-a")):
        run = user["b-member"].fails("nodegroup", *args)
        assert "Cluster ca1 could not be found (HTTP 404)" in run.stderr, run.evidence
    run = member.ok("nodegroup", "delete", "ca1", "ng-a")
    assert run.stdout == "Request to delete nodegroup ng-a has been accepted.\n"
    member.poll(("nodegroup", "show", "ca1", "ng-a"), lambda r: r.rc != 0)
    assert [row["name"] for row in member.json("nodegroup", "list", "ca1")] == names[:2]


def test_ca_show_sign_rotate(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any], tmp_path: Path
) -> None:
    """The CA goes to the cluster's creator (Magnum's certificate:* defaults).

    Certificates are not cross-project even for admins (api.md 7): 404 as for anyone.
    """
    member = user["a-member"]
    pem = member.ok("ca", "show", "ca1").stdout
    ca = x509.load_pem_x509_certificate(pem.encode())
    run = user["admin"].fails("ca", "show", cluster_a["uuid"])
    assert run.message.startswith(f"Cluster {cluster_a['uuid']} could not be found (HTTP 404)")
    csr = tmp_path / "client.csr"
    csr.write_text(csr_pem("a-member"))
    signed = x509.load_pem_x509_certificate(
        member.ok("ca", "sign", "ca1", str(csr)).stdout.encode()
    )
    signed.verify_directly_issued_by(ca)
    reader = user["a-reader"]
    run = reader.fails("ca", "show", "ca1")
    assert run.message.startswith("Policy doesn't allow certificate:get to be performed (HTTP 403)")
    run = reader.fails("ca", "sign", "ca1", str(csr))
    assert run.message.startswith(
        "Policy doesn't allow certificate:create to be performed (HTTP 403)"
    )
    for args in (("show", "ca1"), ("sign", "ca1", str(csr)), ("rotate", "ca1")):
        run = user["b-member"].fails("ca", *args)
        assert "Cluster ca1 could not be found (HTTP 404)" in run.stderr, run.evidence
    run = reader.fails("ca", "rotate", "ca1")
    assert "Policy doesn't allow certificate:rotate_ca to be performed (HTTP 403)" in run.stderr
    run = member.ok("ca", "rotate", "ca1")
    assert run.stdout.startswith("Request to rotate the CA certificate for cluster "), run.evidence
    assert member.settled("ca1")["status"] == "UPDATE_COMPLETE"
    assert member.ok("ca", "show", "ca1").stdout != pem


def test_cluster_config(
    user: dict[str, KeystoneCoe], cluster_a: dict[str, Any], tmp_path: Path
) -> None:
    run = user["a-member"].ok("cluster", "config", "ca1", "--dir", str(tmp_path), "--output-certs")
    assert f"export DOCKER_HOST={cluster_a['api_address']}\n" in run.stdout
    cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    cert.verify_directly_issued_by(
        x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    )
    run = user["b-member"].fails("cluster", "config", "ca1", "--dir", str(tmp_path), "--force")
    assert run.message.startswith("Cluster ca1 could not be found (HTTP 404)")


def test_credential_rotate(user: dict[str, KeystoneCoe], cluster_a: dict[str, Any]) -> None:
    run = user["a-member"].ok("credential", "rotate", "ca1")
    assert run.stdout.startswith(
        "Credential rotation failed: Credential rotation is not supported by driver (HTTP 400)"
    ), run.evidence
    run = user["a-reader"].ok("credential", "rotate", "ca1")
    assert "Policy doesn't allow credential:rotate to be performed (HTTP 403)" in run.stdout
    run = user["b-member"].ok("credential", "rotate", "ca1")
    assert "Cluster ca1 could not be found (HTTP 404)" in run.stdout, run.evidence


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
    updated = user["admin"].quota("update", a, "--hard-limit", "8")
    assert updated.properties()["hard_limit"] == "8"
    run = user["a-member"].quota("update", a, "--hard-limit", "99")
    assert "Policy doesn't allow quota:update to be performed (HTTP 403)" in run.stdout
    every = user["admin"].ok("quotas", "list", "--all-tenants").table()
    assert {"project_id": a, "resource": "Cluster", "hard_limit": "8"} in every
    run = user["a-member"].fails("quotas", "list")
    assert run.message.startswith("Policy doesn't allow quota:get_all to be performed (HTTP 403)")
    run = user["a-member"].quota("delete", a)
    assert "Policy doesn't allow quota:delete to be performed (HTTP 403)" in run.stdout
    deleted = user["admin"].quota("delete", a)
    assert deleted.stdout.startswith("Request to delete quota for project id "), deleted.evidence
    assert user["a-reader"].quota("show", a).properties()["hard_limit"] == "20"


def test_quota_for_unknown_project(user: dict[str, KeystoneCoe], project: dict[str, str]) -> None:
    """Keystone is asked, as the caller, before policy: 404 for a project it does not know.

    Keystone tells only those who may read projects (admin); others learn nothing
    from it and policy refuses them.
    """
    run = user["admin"].quota("create", "no-such-project")
    assert run.stdout.startswith(
        "Create quota for project_id no-such-project resource Cluster failed: "
        "The project_id no-such-project could not be found (HTTP 404)"
    ), run.evidence
    for other in ("no-such-project", project["project-b"]):
        run = user["a-member"].quota("create", other)
        assert "Policy doesn't allow quota:create to be performed (HTTP 403)" in run.stdout
    every = user["admin"].ok("quotas", "list", "--all-tenants").table()
    assert [row for row in every if row["project_id"] == "no-such-project"] == []


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


# --- identities that change: a creator removed, a token expiring, a project deleted ----


def test_cluster_outlives_its_creator(
    server: LiveServer, ks: Keystone, user: dict[str, KeystoneCoe]
) -> None:
    """Moorage manages clusters with its own credentials, never the creator's token.

    Magnum master keeps no trusts either (behaviour.md 6.1); here the conductor needs
    no OpenStack credentials at all, so the cluster of a user who is gone is run and
    changed by the rest of the project as before.
    """
    member = user["a-member"]
    temp = KeystoneCoe(ks, member.cwd, "a-temp", project="project-a")
    _, temp_id = ks.add_member("a-temp", "project-a")
    temp.ok("cluster", "create", "ca-temp", "--cluster-template", "ct-a2", "--node-count", "1")
    made = temp.settled("ca-temp")
    assert made["status"] == "CREATE_COMPLETE", made
    shown = get(server, f"/v1/clusters/{made['uuid']}", ks.token("a-member")).json()
    assert shown["user_id"] == temp_id
    token = ks.token("a-temp", "project-a")  # not used yet, so not in the cache
    ks.admin("DELETE", f"/users/{temp_id}")
    assert get(server, "/v1/clusters", token).status_code == 401
    member.ok("cluster", "resize", "ca-temp", "2")
    settled = member.settled("ca-temp")
    assert (settled["status"], settled["node_count"]) == ("UPDATE_COMPLETE", 2), settled
    # The CA stays the creator's: Magnum's certificate:get default (admin or creator).
    run = member.fails("ca", "show", "ca-temp")
    assert run.message.startswith("Policy doesn't allow certificate:get to be performed (HTTP 403)")
    member.ok("cluster", "delete", "ca-temp")
    member.gone("ca-temp")


def test_expired_token_is_401(server: LiveServer, ks: Keystone) -> None:
    """A token that was valid and cached is refused once it expires."""
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=10)
    token = ks.app_credential_token("a-reader", expires)
    assert get(server, "/v1/clusters", token).status_code == 200
    time.sleep(max(0.0, (expires - datetime.datetime.now(datetime.UTC)).total_seconds()) + 1)
    response = get(server, "/v1/clusters", token)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_deleted_project_gets_nothing(server: LiveServer, ks: Keystone) -> None:
    """Tokens of a deleted project are refused: at once when unseen, after the cache window else."""
    project_id, _ = ks.add_member("c-member", "project-c")
    seen, unseen = ks.token("c-member", "project-c"), ks.token("c-member", "project-c")
    made = post_template(server, seen, "ct-c")
    assert made.status_code == 201, made.text
    deleted_at = time.monotonic()
    ks.admin("DELETE", f"/projects/{project_id}")
    response = get(server, "/v1/clustertemplates", unseen)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    # A token validated before the deletion lives in the cache for token_cache_time.
    time.sleep(max(0.0, TOKEN_CACHE_SECONDS + 1 - (time.monotonic() - deleted_at)))
    response = get(server, "/v1/clustertemplates", seen)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_system_scoped_token_is_refused(server: LiveServer, ks: Keystone) -> None:
    """Magnum's rules are project-scoped: a system-scoped admin token is refused (403)."""
    token = ks.system_token()
    for path in ("/v1/clusters", "/v1/clustertemplates", "/v1/mservices", "/v1/quotas"):
        response = get(server, path, token)
        assert response.status_code == 403, response.text
        (error,) = response.json()["errors"]
        assert error["detail"].startswith("Policy doesn't allow "), error
    made = post_template(server, token, "ct-system")
    assert made.status_code == 403, made.text
    assert made.json()["errors"][0]["detail"] == (
        "Policy doesn't allow clustertemplate:create to be performed."
    )


def test_memcached_token_cache_is_shared(
    ks: Keystone, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With ``memcached_servers`` a token validated by one API process is cached for all."""
    with memcached() as servers, ExitStack() as stack:
        config = ks.authtoken_config() + f"memcached_servers = {servers}\n"
        first, second = (
            stack.enter_context(serve(tmp_path_factory.mktemp(f"moorage-memcached-{n}"), config))
            for n in (1, 2)
        )
        token = ks.token("b-reader")
        before = ks.validations()
        assert get(first, "/v1/clusters", token).status_code == 200
        assert ks.validations() == before + 1
        for _ in range(3):
            assert get(second, "/v1/clustertemplates", token).status_code == 200
        assert ks.validations() == before + 1


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
