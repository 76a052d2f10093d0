"""What is done to a cluster and its templates beyond create and delete, in a real
Chromium against a real ``moorage serve`` (noop provider): template edit with the
catalog's names as choices, node group edit, rolling upgrade, the CA (show, sign
a CSR, rotate), credential rotation and the picture of the nodes with their health."""

from __future__ import annotations

import httpx
import pytest
from cryptography import x509

from moorage.client import pki
from tests.dashboard import flows
from tests.dashboard.browser import Browser
from tests.support.live import LiveServer

pytestmark = pytest.mark.real


def _cluster(browser: Browser, name: str, template: str, nodes: str = "1") -> None:
    flows.create_cluster(browser, name, template, nodes)
    flows.wait_status(browser, "CREATE_COMPLETE")


def test_template_edit_offers_the_catalog_and_patches_what_changed(
    noauth: Browser, noauth_server: LiveServer
) -> None:
    flows.create_template(noauth, {**flows.NOOP_TEMPLATE, "name": "editable"})
    noauth.click_link("Edit")
    catalog = httpx.get(noauth_server.url + "/v1/catalog").json()
    assert noauth.options("image_id")[1:] == [i["name"] for i in catalog["images"]]
    assert noauth.options("flavor_id")[1:] == [f["name"] for f in catalog["flavors"]]
    assert noauth.options("external_network_id")[1:] == catalog["external_networks"]
    assert noauth.options("fixed_network")[1:] == catalog["networks"] == ["net1"]
    assert noauth.options("fixed_subnet")[1:] == catalog["subnets"] == ["sub1"]
    assert noauth.options("keypair_id")[1:] == catalog["keypairs"] == ["kp1", "kp2"]
    noauth.shot("template-edit")
    noauth.fill("docker_volume_size", "many")
    noauth.submit("Save template")
    assert noauth.error().startswith("Invalid input for field/attribute docker_volume_size")
    noauth.fill("docker_volume_size", "")
    noauth.fill("flavor_id", "m1.medium")
    noauth.fill("keypair_id", "kp2")
    noauth.fill("labels", "provider=noop\nowner=ops")
    noauth.submit("Save template")
    assert "Template updated." in noauth.text(), noauth.error()
    template = httpx.get(noauth_server.url + "/v1/clustertemplates/editable").json()
    assert template["flavor_id"] == "m1.medium" and template["keypair_id"] == "kp2"
    assert template["labels"] == {"provider": "noop", "owner": "ops"}
    assert template["master_flavor_id"] == "m1.small"  # untouched

    noauth.find("input[name=public]").click()  # admins: visibility
    noauth.submit("Save")
    assert httpx.get(noauth_server.url + "/v1/clustertemplates/editable").json()["public"]
    noauth.open("/dashboard/clusters/new")
    assert noauth.options("flavor_id")[1:] == [f["name"] for f in catalog["flavors"]]
    assert noauth.options("keypair") == ["(the template's)", "kp1", "kp2"]
    noauth.open("/dashboard/templates/editable")
    noauth.click_link("Delete")
    noauth.submit("Delete editable")
    assert "Template deleted." in noauth.text() and "editable" not in noauth.links()


def test_nodegroup_edit_cluster_upgrade_and_the_timeline(
    noauth: Browser, noauth_server: LiveServer
) -> None:
    flows.create_template(noauth, {**flows.NOOP_TEMPLATE, "name": "ops-v1"})
    flows.create_template(noauth, {**flows.NOOP_TEMPLATE, "name": "ops-v2"})
    _cluster(noauth, "ops", "ops-v1", nodes="2")
    _edit_worker_group(noauth)
    _add_and_delete_a_group(noauth)
    _upgrade(noauth, noauth_server)
    _picture(noauth)


def _edit_worker_group(browser: Browser) -> None:
    browser.click_in("tr[data-nodegroup=default-worker]", "Edit")
    browser.fill("max_node_count", "1")
    browser.submit("Save node group")
    assert "(HTTP 400)" in browser.error() or "(HTTP 409)" in browser.error()
    assert browser.find("[name=max_node_count]").get_attribute("value") == "1"
    browser.fill("min_node_count", "1")
    browser.fill("max_node_count", "4")
    browser.fill("node_count", "3")
    browser.submit("Save node group")
    assert "Node group default-worker updated." in browser.text()
    browser.wait_for(
        lambda: (
            "1 / 4" in browser.find("tr[data-nodegroup=default-worker]").text
            and len(browser.all("[data-nodegroup=default-worker] .box")) == 3
        ),
        60,
        "bounds 1 / 4 and three workers",
    )


def _add_and_delete_a_group(browser: Browser) -> None:
    browser.click_link("Add node group")
    browser.fill("name", "extra")
    browser.fill("node_count", "1")
    browser.submit("Create node group")
    assert "Creating node group extra." in browser.text()
    browser.wait_for(
        lambda: "CREATE_COMPLETE" in browser.find("tr[data-nodegroup=extra]").text, 60, "extra"
    )
    browser.click_in("tr[data-nodegroup=extra]", "Delete")
    assert "Delete node group extra?" in browser.text()
    browser.submit("Delete extra")
    browser.wait_for(lambda: not browser.all("tr[data-nodegroup=extra]"), 60, "extra gone")
    browser.open(browser.path)  # not while the page reloads itself
    flows.wait_status(browser, "UPDATE_COMPLETE")


def _upgrade(browser: Browser, server: LiveServer) -> None:
    browser.click_link("Upgrade")
    assert "ops-v2 (swarm-mode)" in browser.options("cluster_template")
    browser.fill("max_batch_size", "0")
    browser.fill("cluster_template", "ops-v2 (swarm-mode)")
    browser.submit("Upgrade")
    assert "max_batch_size" in browser.error() and "(HTTP 400)" in browser.error()
    browser.fill("max_batch_size", "2")
    browser.submit("Upgrade")
    assert "Upgrading the cluster." in browser.text()
    flows.wait_status(browser, "UPDATE_COMPLETE")
    cluster = httpx.get(server.url + "/v1/clusters/ops").json()
    v2 = httpx.get(server.url + "/v1/clustertemplates/ops-v2").json()
    assert cluster["cluster_template_id"] == v2["uuid"]


def _picture(browser: Browser) -> None:
    """The master group first, every node a box, Ready once health is polled (every
    2 s here). The noop provider reports no declared steps, so there is no timeline:
    tests/real/test_dashboard_swarm.py has it, from the Swarm driver."""
    browser.open(browser.path)  # everything drawn again, the upgrade done
    groups = [g.get_attribute("data-nodegroup") for g in browser.all(".picture .group")]
    assert groups == ["default-master", "default-worker"]
    assert len(browser.all(".picture .box")) == 4
    browser.wait_for(
        lambda: (browser.open(browser.path) or True) and len(browser.all(".box.ready-true")) == 4,
        30,
        "four Ready nodes",
    )
    master = browser.find(".group.master .box").text
    assert "default-master-0" in master and "Ready" in master
    browser.shot("cluster-picture")


def test_ca_show_sign_rotate_and_credential_rotation(
    noauth: Browser, noauth_server: LiveServer
) -> None:
    flows.create_template(noauth, {**flows.NOOP_TEMPLATE, "name": "ca-template"})
    _cluster(noauth, "secure", "ca-template")
    noauth.click_link("Certificates")
    before = noauth.find("#ca-pem").text
    ca = x509.load_pem_x509_certificate(before.encode())
    noauth.fill("csr", "not a CSR")
    noauth.submit("Sign")
    assert noauth.error().endswith("(HTTP 400)")
    _, csr = pki.key_and_csr("dash-user")
    noauth.fill("csr", csr)
    noauth.submit("Sign")
    signed = x509.load_pem_x509_certificate(noauth.find("#signed-pem").text.encode())
    assert signed.issuer == ca.subject
    noauth.shot("cluster-ca")

    noauth.click_link("Rotate the CA")
    assert "Rotate the CA of secure?" in noauth.text()
    assert "Certificates signed by the old CA will no longer be accepted." in noauth.text()
    noauth.submit("Rotate the CA")
    assert "Rotating the CA" in noauth.text()
    flows.wait_status(noauth, "UPDATE_COMPLETE")
    noauth.click_link("Certificates")
    assert noauth.find("#ca-pem").text != before

    noauth.open("/dashboard/clusters/secure")
    noauth.click_link("Rotate credentials")
    noauth.submit("Rotate credentials")
    assert noauth.error() == "Credential rotation is not supported by driver. (HTTP 400)"
