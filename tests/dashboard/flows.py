"""Steps several browser tests take: make a template, make a cluster, wait for it."""

from __future__ import annotations

from tests.dashboard.browser import Browser

NOOP_TEMPLATE = {
    "name": "noop-swarm",
    "image_id": "moorage-node",
    "external_network_id": "public",
    "flavor_id": "m1.small",
    "master_flavor_id": "m1.small",
    "labels": "provider=noop",
}


def create_template(browser: Browser, fields: dict[str, str], coe: str = "swarm-mode") -> None:
    browser.open("/dashboard/templates/new")
    browser.fill("coe", coe)
    for name, value in fields.items():
        browser.fill(name, value)
    browser.submit("Create template")
    browser.wait_for(lambda: "Cluster template " + fields["name"] in browser.text(), 30, "template")


def create_cluster(browser: Browser, name: str, template: str, nodes: str = "1") -> None:
    browser.open("/dashboard/clusters/new")
    browser.fill("name", name)
    browser.fill("cluster_template_id", f"{template} (swarm-mode)")
    browser.fill("node_count", nodes)
    browser.submit("Create cluster")
    browser.wait_for(lambda: f"Cluster {name}" in browser.text(), 30, "the cluster's page")


def status(browser: Browser) -> str:
    return str(browser.find("#cluster-status").text)


def wait_status(browser: Browser, wanted: str, seconds: float = 120) -> None:
    """Wait, without reloading, until the page's live status says ``wanted``."""
    browser.wait_for(lambda: status(browser) == wanted, seconds, wanted)
