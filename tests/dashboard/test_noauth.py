"""The dashboard with auth_strategy = noauth, in a real Chromium against a real
``moorage serve``: templates and clusters made through the forms, live progress,
resize, config download, delete; bad input shows the API's own message."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from tests.dashboard import flows
from tests.dashboard.browser import Browser
from tests.support.live import LiveServer

pytestmark = pytest.mark.real


def test_no_sign_in_and_the_pages_are_there(noauth: Browser) -> None:
    noauth.open("/dashboard/")
    assert noauth.path == "/dashboard/clusters"
    assert "project default (noauth)" in noauth.text()
    assert "Sign out" not in noauth.buttons()
    noauth.open("/dashboard/signin")
    assert noauth.path == "/dashboard/clusters"


def test_a_bad_template_shows_the_apis_message_and_keeps_the_values(noauth: Browser) -> None:
    noauth.open("/dashboard/templates/new")
    noauth.fill("name", "bad-template")
    noauth.fill("docker_volume_size", "many")
    noauth.submit("Create template")
    error = noauth.find(".error").text
    # The API's own words, once.
    assert error == (
        "Invalid input for field/attribute docker_volume_size. Value: 'many'. Wrong type. "
        "Expected '<class 'int'>', got '<class 'str'>' (HTTP 400)"
    )
    assert noauth.find("[name=name]").get_attribute("value") == "bad-template"


def test_template_and_cluster_through_the_forms(noauth: Browser, noauth_server: LiveServer) -> None:
    flows.create_template(noauth, flows.NOOP_TEMPLATE)
    noauth.shot("template-detail")
    noauth.open("/dashboard/templates")
    assert "noop-swarm" in noauth.links()
    noauth.shot("templates")

    noauth.open("/dashboard/clusters/new")
    noauth.fill("name", "bad")
    noauth.fill("node_count", "-1")
    noauth.submit("Create cluster")
    error = noauth.find("#form-error").text
    assert "node_count" in error and "(HTTP 400)" in error, error
    noauth.shot("cluster-create-error")

    flows.create_cluster(noauth, "web", "noop-swarm", nodes="2")
    flows.wait_status(noauth, "CREATE_COMPLETE")
    # Once done, the page loads again by itself: the nodes now have addresses.
    noauth.wait_for(lambda: len(noauth.all(".box")) == 3, 30, "three node boxes")
    noauth.shot("cluster-detail")

    noauth.open("/dashboard/clusters")
    row = noauth.find("tr[data-cluster=web]")
    assert "CREATE_COMPLETE" in row.text and "swarm-mode" in row.text
    noauth.shot("clusters")

    _resize_removing_a_picked_node(noauth)
    _config_zip(noauth, noauth_server)
    _delete_after_confirmation(noauth)


def _resize_removing_a_picked_node(browser: Browser) -> None:
    browser.click_link("web")
    browser.click_link("Resize")
    boxes = browser.all("input[name=nodes_to_remove]")
    assert len(boxes) == 3  # one master, two workers, by address
    worker = browser.find("#f-nodegroup").get_attribute("value")
    assert worker == "default-worker"
    browser.fill("node_count", "1")
    boxes[-1].click()
    removed = boxes[-1].get_attribute("value")
    browser.submit("Resize")
    browser.wait_for(
        lambda: "UPDATE_COMPLETE" in browser.find("tr[data-nodegroup=default-worker]").text,
        60,
        "the worker group resized",
    )
    group = browser.find("tr[data-nodegroup=default-worker]").text
    assert removed not in group and " 1 " in group


def _config_zip(browser: Browser, server: LiveServer) -> None:
    href = browser.driver.find_element("link text", "Get cluster config").get_attribute("href")
    got = httpx.get(str(href), cookies=browser.cookies(), timeout=60)
    assert got.status_code == 200, got.text
    names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
    assert sorted(names) == ["web/ca.pem", "web/cert.pem", "web/env.sh", "web/key.pem"]
    env = zipfile.ZipFile(io.BytesIO(got.content)).read("web/env.sh").decode()
    assert env.startswith("export DOCKER_HOST=tcp://") and "DOCKER_TLS_VERIFY=1" in env


def _delete_after_confirmation(browser: Browser) -> None:
    browser.click_link("Delete")
    assert "Delete cluster web?" in browser.text()
    browser.shot("cluster-delete")
    browser.submit("Delete web")
    assert browser.path == "/dashboard/clusters"
    # The list refreshes itself until the cluster is gone.
    browser.wait_for(lambda: not browser.all("tr[data-cluster=web]"), 60, "the cluster gone")
