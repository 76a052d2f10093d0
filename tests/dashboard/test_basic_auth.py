"""The dashboard with auth_strategy = http_basic: sign-in, sign-out, a stale or
forged form, an unreadable session, a reader, and projects kept apart."""

from __future__ import annotations

import httpx
import pytest

from tests.dashboard import flows
from tests.dashboard.browser import Browser
from tests.dashboard.conftest import PASSWORD
from tests.support.live import LiveServer

pytestmark = pytest.mark.real


def sign_in(browser: Browser, user: str, password: str = PASSWORD) -> None:
    browser.open("/dashboard/signin")
    browser.fill("user", user)
    browser.fill("password", password)
    browser.submit("Sign in")


def test_sign_in_is_required_and_a_wrong_password_shows_the_apis_answer(basic: Browser) -> None:
    basic.open("/dashboard/clusters")
    assert basic.path == "/dashboard/signin"
    basic.shot("signin")
    sign_in(basic, "alice", "wrong")
    assert basic.find(".error").text.endswith("(HTTP 401)")
    sign_in(basic, "alice")
    assert basic.path == "/dashboard/clusters"
    assert "Signed in as alice." in basic.text()
    cookie = next(c for c in basic.driver.get_cookies() if c["name"] == "moorage_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "secret" not in cookie["value"]  # encrypted
    basic.submit("Sign out")
    assert basic.path == "/dashboard/signin"
    assert "You have signed out." in basic.text()
    basic.open("/dashboard/clusters")
    assert basic.path == "/dashboard/signin"


def test_an_unreadable_session_goes_back_to_sign_in_with_a_message(basic: Browser) -> None:
    sign_in(basic, "alice")
    basic.driver.delete_cookie("moorage_dashboard")
    basic.driver.add_cookie(
        {"name": "moorage_dashboard", "value": "gAAAAAforged", "path": "/dashboard"}
    )
    basic.open("/dashboard/clusters")
    assert basic.path == "/dashboard/signin"
    assert "Your session has expired; sign in again." in basic.text()


def test_a_post_without_the_forms_token_changes_nothing(
    basic: Browser, basic_server: LiveServer
) -> None:
    sign_in(basic, "alice")
    forged = httpx.post(
        basic_server.url + "/dashboard/templates",
        data={"name": "forged", "image_id": "moorage-node", "coe": "swarm-mode"},
        cookies=basic.cookies(),
    )
    assert forged.status_code == 403
    assert "CSRF check" in forged.text
    basic.open("/dashboard/templates")
    assert "forged" not in basic.links()


def test_reader_sees_no_write_buttons_and_gets_the_apis_403(basic: Browser) -> None:
    sign_in(basic, "alice")
    flows.create_template(basic, {**flows.NOOP_TEMPLATE, "name": "a-template"})
    flows.create_cluster(basic, "a-cluster", "a-template")
    flows.wait_status(basic, "CREATE_COMPLETE")
    basic.submit("Sign out")

    sign_in(basic, "carol")  # a reader of the same project
    basic.open("/dashboard/clusters")
    assert "a-cluster" in basic.links()
    # The API does not tell a client its roles under http_basic: the first refusal does.
    basic.open("/dashboard/templates/new")
    basic.fill("coe", "swarm-mode")
    basic.fill("name", "by-a-reader")
    basic.fill("image_id", "moorage-node")
    basic.submit("Create template")
    error = basic.find(".error").text
    assert error.startswith("Policy doesn't allow cluster") and error.endswith("(HTTP 403)")
    basic.open("/dashboard/clusters")
    assert "Create cluster" not in basic.links()
    assert "read-only" in basic.text()
    basic.click_link("a-cluster")
    assert not {"Resize", "Delete", "Add node group"} & set(basic.links())
    basic.shot("reader-cluster-detail")
    basic.submit("Sign out")

    sign_in(basic, "bob")  # another project
    basic.open("/dashboard/clusters")
    assert "a-cluster" not in basic.links()
    assert "No clusters." in basic.text()
