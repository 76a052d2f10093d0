"""Every form of the dashboard, in a real Chromium at 1280 px and at phone width
(390 px): each control has a <label>, Tab reaches every control in order and then
the submit button, Enter submits, and no page is wider than the phone's screen.
Screenshots at phone width are saved for the README."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.dashboard import flows
from tests.dashboard.browser import Browser
from tests.dashboard.test_basic_auth import sign_in

pytestmark = pytest.mark.real

PHONE = 390

UNLABELLED = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length))
  .map(e => e.outerHTML);
"""
# Numbers every control of the form (and its submit button) in document order.
TAG_FORM = """
const form = document.querySelector(arguments[0]);
const controls = [...form.querySelectorAll(
  'input:not([type=hidden]), select, textarea, button[type=submit]')];
controls.forEach((e, i) => e.setAttribute('data-k', String(i)));
controls[0].focus();
return controls.length;
"""
ACTIVE = "return document.activeElement.getAttribute('data-k');"
TOO_WIDE = "return document.documentElement.scrollWidth - window.innerWidth;"


def _pages(browser: Browser) -> list[str]:
    """A template, a cluster and a quota to have every form to look at; their pages."""
    flows.create_template(browser, {**flows.NOOP_TEMPLATE, "name": "a11y"})
    template = browser.path
    flows.create_cluster(browser, "a11y", "a11y")
    flows.wait_status(browser, "CREATE_COMPLETE")
    cluster = browser.path
    group = browser.all("tr[data-nodegroup=default-worker] a")[0].get_attribute("href")
    browser.open("/dashboard/admin/quotas")
    browser.fill("project_id", "a11y-project")
    browser.fill("hard_limit", "2")
    browser.submit("Create quota")
    return [
        "/dashboard/clusters",
        "/dashboard/clusters/new",
        cluster,
        cluster + "/resize",
        cluster + "/upgrade",
        cluster + "/nodegroups/new",
        str(group).removeprefix(browser.base),
        cluster + "/ca",
        cluster + "/delete",
        "/dashboard/templates",
        "/dashboard/templates/new",
        template,
        template + "/edit",
        "/dashboard/admin/quotas",
        "/dashboard/admin/quotas/a11y-project/Cluster/edit",
        "/dashboard/admin/stats",
        "/dashboard/admin/services",
    ]


def _tab_through(browser: Browser, form: str) -> None:
    count = browser.driver.execute_script(TAG_FORM, form)
    reached = [browser.driver.execute_script(ACTIVE)]
    for _ in range(count * 3):
        if reached[-1] == str(count - 1):
            break
        ActionChains(browser.driver).send_keys(Keys.TAB).perform()
        now = browser.driver.execute_script(ACTIVE)
        if now is not None and now != reached[-1]:
            reached.append(now)
    assert reached == [str(i) for i in range(count)], (browser.path, form, reached)


def _check(browser: Browser, path: str) -> None:
    browser.open(path)
    assert "The request was refused" not in browser.text(), path
    assert browser.driver.execute_script(UNLABELLED) == [], path
    for index in range(len(browser.all("main form"))):
        _tab_through(browser, f"main form:nth-of-type({index + 1})")


def test_every_control_is_labelled_and_reached_by_tab_at_both_widths(noauth: Browser) -> None:
    pages = _pages(noauth)
    for path in pages:
        _check(noauth, path)
    noauth.width(PHONE)
    assert noauth.driver.execute_script("return window.innerWidth") == PHONE
    for path in pages:
        _check(noauth, path)
        assert noauth.driver.execute_script(TOO_WIDE) <= 0, f"{path} is wider than a phone"
    for name, path in {
        "phone-clusters": pages[0],
        "phone-cluster-detail": pages[2],
        "phone-cluster-create": pages[1],
        "phone-template-edit": pages[12],
        "phone-admin-quotas": pages[13],
    }.items():
        noauth.open(path)
        noauth.shot(name)


def test_a_form_is_filled_and_sent_by_keyboard_alone(noauth: Browser) -> None:
    noauth.open("/dashboard/admin/quotas")
    keys = ActionChains(noauth.driver)
    keys.send_keys(Keys.TAB).perform()  # the first stop: the skip link
    assert noauth.driver.switch_to.active_element.text == "Skip to content"
    noauth.driver.execute_script("document.querySelector('[name=project_id]').focus()")
    keys = ActionChains(noauth.driver)
    keys.send_keys("kbd-project", Keys.TAB, Keys.TAB, "7", Keys.ENTER).perform()
    noauth.wait_for(lambda: "Quota of kbd-project set to 7." in noauth.text(), 30, "the quota")


def test_the_sign_in_form(basic: Browser) -> None:
    basic.open("/dashboard/signin")
    assert basic.driver.execute_script(UNLABELLED) == []
    _tab_through(basic, "main form")
    basic.driver.execute_script("document.querySelector('[name=user]').focus()")
    ActionChains(basic.driver).send_keys("alice", Keys.TAB, "secret", Keys.ENTER).perform()
    basic.wait_for(lambda: "Signed in as alice." in basic.text(), 30, "signed in")
    basic.open("/dashboard/templates/new")  # this server's catalog lists no key pairs
    assert basic.find("[name=keypair_id]").tag_name == "input"
    assert basic.find("[name=image_id]").tag_name == "select"
    basic.width(PHONE)
    sign_in(basic, "alice", "wrong")
    assert basic.driver.execute_script(TOO_WIDE) <= 0
    basic.shot("phone-signin")
