"""The dashboard with auth_strategy = http_basic: sign-in, sign-out, a stale or
forged form, an unreadable session, a reader (its roles from the API's
``/v1/whoami``, or from its first 403 when the API will not say), and projects kept
apart."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("proto", ["http", "https"])
def test_the_session_cookie_is_secure_behind_a_tls_proxy(
    basic_server: LiveServer, proto: str
) -> None:
    """A TLS-terminating proxy on the same host says ``X-Forwarded-Proto: https``
    (uvicorn trusts it from 127.0.0.1): the cookie is then ``Secure``, and only then.
    The cookie is passed by hand: a client on plain http rightly keeps a Secure one."""
    headers = {"X-Forwarded-Proto": proto}
    form = httpx.get(basic_server.url + "/dashboard/signin", headers=headers)
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert match, form.text
    signed_in = httpx.post(
        basic_server.url + "/dashboard/signin",
        headers={**headers, "Cookie": form.headers["set-cookie"].split(";")[0]},
        data={"csrf_token": match[1], "next": "", "user": "alice", "password": PASSWORD},
    )
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.headers["set-cookie"].lower()
    assert "moorage_dashboard=" in cookie and "httponly" in cookie
    assert ("; secure" in cookie) == (proto == "https"), cookie


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


def create_template_refused(browser: Browser, name: str) -> None:
    """Fill in the open template form as a reader and get the API's refusal."""
    browser.fill("coe", "swarm-mode")
    browser.fill("name", name)
    browser.fill("image_id", "moorage-node")
    browser.submit("Create template")
    error = browser.find(".error").text
    assert error.startswith("Policy doesn't allow cluster") and error.endswith("(HTTP 403)")


def test_reader_sees_no_write_buttons_and_gets_the_apis_403(basic: Browser) -> None:
    sign_in(basic, "alice")
    assert "Create cluster" in basic.links() and "Admin" not in basic.links()  # a member
    flows.create_template(basic, {**flows.NOOP_TEMPLATE, "name": "a-template"})
    flows.create_cluster(basic, "a-cluster", "a-template")
    flows.wait_status(basic, "CREATE_COMPLETE")
    basic.submit("Sign out")

    sign_in(basic, "carol")  # a reader of the same project
    # The API's /v1/whoami told the dashboard the roles at sign-in: nothing to write
    # from the first page on, before any refusal.
    assert basic.path == "/dashboard/clusters"
    assert "a-cluster" in basic.links()
    assert not {"Create cluster", "Admin"} & set(basic.links())
    assert "carol in project-a · read-only" in basic.text()
    assert "Clusters: 1 of" in basic.find(".quota").text
    basic.open("/dashboard/templates")
    assert "Create template" not in basic.links()
    basic.open("/dashboard/clusters")
    basic.click_link("a-cluster")
    assert not {"Resize", "Delete", "Add node group"} & set(basic.links())
    basic.shot("reader-cluster-detail")
    basic.open("/dashboard/templates/new")  # the form, typed in by hand
    create_template_refused(basic, "by-a-reader")
    basic.submit("Sign out")

    sign_in(basic, "bob")  # another project
    basic.open("/dashboard/clusters")
    assert "a-cluster" not in basic.links()
    assert "No clusters." in basic.text()
    # The project is known without a cluster of its own to learn it from.
    assert "Clusters: 0 of" in basic.find(".quota").text


def test_a_reader_the_api_will_not_name_is_read_only_after_its_first_403(
    basic: Browser,
) -> None:
    sign_in(basic, "dave")  # the server's policy refuses dave whoami:get
    assert basic.path == "/dashboard/clusters"
    assert "Signed in as dave." in basic.text()
    # Roles unknown: the write buttons show until the API refuses one.
    assert {"Create cluster", "Admin"} <= set(basic.links())
    basic.open("/dashboard/templates")
    basic.click_link("Create template")
    create_template_refused(basic, "by-dave")
    basic.open("/dashboard/clusters")
    assert "Create cluster" not in basic.links()
    assert "read-only" in basic.text()
    sign_in(basic, "dave", "wrong")  # the password is still checked without whoami
    assert basic.find(".error").text.endswith("(HTTP 401)")
