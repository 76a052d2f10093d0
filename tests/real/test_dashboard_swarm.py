"""A real Docker Swarm cluster made through the dashboard's create form, in a real
Chromium against a real ``moorage serve`` with the Swarm driver on the local Docker
engine: the progress (``step i/n: ...`` and the steps as they finish) is seen while
it runs, it reaches CREATE_COMPLETE, the timeline lists every step with how long it
took, the picture shows its nodes Ready, a resize through the form adds a worker,
the downloaded config ZIP works with the ``docker`` CLI (which sees the three swarm
nodes), and deleting it through the dashboard leaves no container, network or
volume behind."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest

from tests.dashboard import flows
from tests.dashboard.browser import Browser, chromium, install
from tests.dashboard.conftest import FAST_HEALTH
from tests.real.test_swarm_driver import leftovers
from tests.real.test_swarm_service import eventually
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real

DURATION = re.compile(r"^\d+(\.\d)? s$|^\d+ min \d\d s$")
# The template as the README's quickstart makes it: the Swarm driver, docker provider.
SWARM_TEMPLATE = {key: v for key, v in flows.NOOP_TEMPLATE.items() if key != "labels"}


@pytest.fixture(scope="module")
def server(node_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = FAST_HEALTH + "[dashboard]\npoll_interval = 0.5\n"
    with serve(tmp_path_factory.mktemp("dash-swarm"), extra_config=config, fake=False) as live:
        yield live


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Browser]:
    install()
    with chromium(server.url) as opened:
        yield opened


def _watch_progress(browser: Browser) -> set[str]:
    """What the page said while the create ran, until CREATE_COMPLETE (no reloads)."""
    seen: set[str] = set()

    def complete() -> bool:
        seen.update(r.text for r in browser.all("#status-reason"))
        seen.update(f"done: {s.get_attribute('data-step')}" for s in browser.all(".step.success"))
        if len(seen) == 2:
            browser.shot("swarm-create-progress")
        return flows.status(browser) == "CREATE_COMPLETE"

    browser.wait_for(complete, 300, "CREATE_COMPLETE")
    return seen


def test_a_swarm_cluster_made_through_the_form(
    browser: Browser, server: LiveServer, docker_host: docker.DockerClient, tmp_path: Path
) -> None:
    flows.create_template(browser, {**SWARM_TEMPLATE, "name": "swarm"})
    flows.create_cluster(browser, "dash-swarm", "swarm", nodes="1")
    uuid = browser.path.rsplit("/", 1)[1]
    try:
        seen = _watch_progress(browser)
        assert any(re.match(r"step \d+/\d+: ", s) for s in seen), seen
        assert any(s.startswith("done: ") for s in seen), seen
        _timeline(browser)
        _picture(browser)
        _resize_to_two_workers(browser)
        _config_used_with_docker(browser, tmp_path)
        browser.click_link("Delete")
        browser.submit("Delete dash-swarm")
        browser.wait_for(lambda: not browser.all("tr[data-cluster=dash-swarm]"), 120, "gone")
        assert leftovers(docker_host, uuid) == []
    finally:
        httpx.delete(f"{server.url}/v1/clusters/{uuid}")  # whatever the test left


def _timeline(browser: Browser) -> None:
    browser.open(browser.path)
    create = browser.find(".operation[data-operation=cluster_create]")
    steps = create.find_elements("css selector", ".step")
    counts = [s.find_element("css selector", ".count").text for s in steps]
    total = counts[0].split("/")[1]
    assert counts == [f"{i}/{total}" for i in range(1, int(total) + 1)]
    assert all("success" in s.get_attribute("class") for s in steps)
    for took in create.find_elements("css selector", ".took"):
        assert DURATION.match(took.text), took.text


def _picture(browser: Browser) -> None:
    def ready() -> bool:
        browser.open(browser.path)
        return len(browser.all(".picture .box.ready-true")) == 2

    browser.wait_for(ready, 60, "both nodes Ready")
    assert [g.get_attribute("data-nodegroup") for g in browser.all(".picture .group")] == [
        "default-master",
        "default-worker",
    ]
    browser.shot("swarm-cluster")


def _resize_to_two_workers(browser: Browser) -> None:
    browser.click_link("Resize")
    browser.fill("node_count", "2")
    browser.submit("Resize")
    browser.wait_for(
        lambda: "UPDATE_COMPLETE" in browser.find("tr[data-nodegroup=default-worker]").text,
        300,
        "the worker group resized",
    )


def _config_used_with_docker(browser: Browser, tmp_path: Path) -> None:
    """The ZIP as a user gets it, unpacked and its env file sourced for the real CLI."""
    href = browser.driver.find_element("link text", "Get cluster config").get_attribute("href")
    got = httpx.get(str(href), cookies=browser.cookies(), timeout=60)
    assert got.status_code == 200, got.text
    zipfile.ZipFile(io.BytesIO(got.content)).extractall(tmp_path)
    script = ". dash-swarm/env.sh && docker node ls --format '{{.Status}}'"

    def three_ready() -> bool:
        listed = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert listed.returncode == 0, listed.stderr
        return listed.stdout.split() == ["Ready"] * 3

    eventually(three_ready, 60, "three Ready swarm nodes through the downloaded config")
