"""Admin pages in a real Chromium against a real ``moorage serve``: quotas (list,
create, update, delete, the API's refusals shown), stats and conductor services;
a member under http_basic gets the API's 403 text."""

from __future__ import annotations

import httpx
import pytest

from tests.dashboard.browser import Browser
from tests.dashboard.test_basic_auth import sign_in
from tests.support.live import LiveServer

pytestmark = pytest.mark.real


def test_quotas_create_update_delete(noauth: Browser, noauth_server: LiveServer) -> None:
    noauth.open("/dashboard/clusters")
    noauth.click_link("Admin")
    assert noauth.path == "/dashboard/admin/quotas"
    noauth.fill("project_id", "project-x")
    noauth.fill("hard_limit", "-1")
    noauth.submit("Create quota")
    assert "hard_limit" in noauth.error() and noauth.error().endswith("(HTTP 400)")
    assert noauth.find("[name=project_id]").get_attribute("value") == "project-x"
    noauth.fill("hard_limit", "3")
    noauth.submit("Create quota")
    assert "Quota of project-x set to 3." in noauth.text()
    assert "Cluster 3" in noauth.find("tr[data-quota=project-x]").text
    noauth.shot("admin-quotas")

    noauth.click_href("/admin/quotas/project-x/Cluster/edit")
    noauth.fill("hard_limit", "5")
    noauth.submit("Save quota")
    assert "Cluster 5" in noauth.find("tr[data-quota=project-x]").text
    quota = httpx.get(noauth_server.url + "/v1/quotas/project-x/Cluster").json()
    assert quota["hard_limit"] == 5

    noauth.click_href("/admin/quotas/project-x/Cluster/delete")
    assert "Delete the Cluster quota of project-x?" in noauth.text()
    noauth.submit("Delete the quota")
    assert "Quota of project-x deleted." in noauth.text()
    assert not noauth.all("tr[data-quota=project-x]")


def test_stats_and_services(noauth: Browser, noauth_server: LiveServer) -> None:
    noauth.open("/dashboard/admin/stats")
    every = httpx.get(noauth_server.url + "/v1/stats").json()
    assert noauth.find("#stats-clusters").text == str(every["clusters"])
    assert noauth.find("#stats-nodes").text == str(every["nodes"])
    noauth.fill("project_id", "nobody")
    noauth.submit("Show")
    assert noauth.find("#stats-clusters").text == "0"
    noauth.shot("admin-stats")
    noauth.click_link("Services")
    rows = noauth.all("tr[data-service]")
    assert rows and "magnum-conductor" in rows[0].text and " up " in f" {rows[0].text} "
    noauth.shot("admin-services")


def test_a_member_gets_the_apis_403(basic: Browser) -> None:
    sign_in(basic, "alice")
    assert "Admin" not in basic.links()  # /v1/whoami said: a member
    basic.open("/dashboard/admin/quotas")
    assert basic.error() == "Policy doesn't allow quota:get_all to be performed. (HTTP 403)"
    basic.open("/dashboard/admin/services")
    assert basic.error() == (
        "Policy doesn't allow magnum-service:get_all to be performed. (HTTP 403)"
    )
