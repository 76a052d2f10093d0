"""The dashboard with auth_strategy = keystone, against a real Keystone
(``tests.support.keystone``: ``scripts/setup-keystone.sh`` on a free port, its
projects ``project-a`` and ``project-b``, a member and a reader each) and a real
``moorage serve`` validating tokens with keystonemiddleware: sign-in with user,
password, domain and project, a project-scoped token, switching project without
the password, a reader with no write buttons and the API's 403, sign-out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.dashboard import flows
from tests.dashboard.browser import Browser, chromium
from tests.support.keystone import Keystone, keystone
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def ks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keystone]:
    with keystone(tmp_path_factory.mktemp("dash-keystone")) as started:
        # a-member may also work in project-b: the project to switch to.
        project, user = started.find("projects", "project-b"), started.find("users", "a-member")
        role = started.find("roles", "member")
        started.admin("PUT", f"/projects/{project}/users/{user}/roles/{role}")
        yield started


@pytest.fixture(scope="module")
def server(ks: Keystone, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("dash-keystone-serve")
    with serve(tmp, extra_config=ks.authtoken_config(), fake=False) as live:
        yield live


@pytest.fixture(scope="module")
def cluster_a(ks: Keystone, server: LiveServer) -> dict[str, Any]:
    """``ka`` of project-a, made by a-member through the API (noop provider), settled."""
    headers = {"X-Auth-Token": ks.token("a-member")}
    body = {**flows.NOOP_TEMPLATE, "coe": "swarm-mode", "labels": {"provider": "noop"}}
    made = httpx.post(server.url + "/v1/clustertemplates", json=body, headers=headers)
    assert made.status_code == 201, made.text
    cluster = {"name": "ka", "cluster_template_id": made.json()["uuid"], "node_count": 1}
    uuid = httpx.post(server.url + "/v1/clusters", json=cluster, headers=headers).json()["uuid"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = httpx.get(f"{server.url}/v1/clusters/{uuid}", headers=headers).json()
        if found["status"] == "CREATE_COMPLETE":
            return dict(found)
        time.sleep(0.5)
    raise AssertionError(f"ka did not settle: {found['status']}")


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    with chromium(server.url) as opened:
        yield opened


def sign_in(browser: Browser, user: str, project: str, password: str = "secret") -> None:
    browser.open("/dashboard/signin")
    browser.fill("user", user)
    browser.fill("password", password)
    browser.fill("domain", "Default")
    browser.fill("project", project)
    browser.submit("Sign in")


def test_sign_in_see_own_clusters_and_switch_project(
    browser: Browser, cluster_a: dict[str, Any]
) -> None:
    browser.open("/dashboard/clusters")
    assert browser.path == "/dashboard/signin"
    sign_in(browser, "a-member", "project-a", password="wrong")
    assert browser.error().endswith("(HTTP 401)")
    assert browser.find("[name=project]").get_attribute("value") == "project-a"
    browser.shot("keystone-signin")
    sign_in(browser, "a-member", "project-a")
    assert "Signed in as a-member." in browser.text()
    assert "a-member in project-a" in browser.text()
    assert "ka" in browser.links()

    browser.click_link("Projects")
    assert "current" in browser.find("table").text
    browser.shot("keystone-projects")
    browser.submit("Switch to project-b")
    assert "Now working in project project-b." in browser.text()
    assert "a-member in project-b" in browser.text()
    assert "ka" not in browser.links() and "No clusters." in browser.text()
    browser.click_link("Projects")
    browser.submit("Switch to project-a")
    assert "ka" in browser.links()

    browser.submit("Sign out")
    assert browser.path == "/dashboard/signin"
    browser.open("/dashboard/clusters")
    assert browser.path == "/dashboard/signin"


def test_a_reader_sees_no_write_buttons_and_gets_the_apis_403(
    browser: Browser, cluster_a: dict[str, Any]
) -> None:
    sign_in(browser, "a-reader", "project-a")
    assert "read-only" in browser.text()  # Keystone's token names the roles
    assert "Create cluster" not in browser.links()
    browser.click_link("ka")
    assert not {"Resize", "Upgrade", "Delete", "Add node group", "Edit"} & set(browser.links())
    assert "Admin" not in browser.links()
    browser.open("/dashboard/templates/new")
    browser.fill("name", "by-a-reader")
    browser.fill("coe", "swarm-mode")
    browser.fill("image_id", "moorage-node")
    browser.submit("Create template")
    assert browser.error() == (
        "Policy doesn't allow clustertemplate:create to be performed. (HTTP 403)"
    )
    browser.shot("keystone-reader")


def test_another_projects_member_does_not_see_it(
    browser: Browser, cluster_a: dict[str, Any]
) -> None:
    sign_in(browser, "b-member", "project-b")
    assert "ka" not in browser.links()
    browser.open(f"/dashboard/clusters/{cluster_a['uuid']}")
    assert browser.error() == f"Cluster {cluster_a['uuid']} could not be found. (HTTP 404)"
