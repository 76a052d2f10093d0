"""What the API refuses for a Kubernetes template or cluster, before anything is written.

The Kubernetes driver is installed as in production (its entry point); these
tests never reach a node: every request here is refused (or accepted) by the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import models
from moorage.db.session import transaction
from tests.api.conftest import Api, assert_error, template_body

IMAGE = "moorage-k8s-node"


@pytest.fixture(autouse=True)
def _k8s_catalog(manager: object) -> Iterator[None]:
    CONF.set_override("images", ["moorage-node:debian", f"{IMAGE}:debian"], group="catalog")
    yield
    CONF.clear_override("images", group="catalog")


def _body(**overrides: Any) -> dict[str, Any]:
    return template_body(coe="kubernetes", image_id=IMAGE, **overrides)


def _rows() -> tuple[int, int]:
    with transaction() as s:
        return s.query(models.ClusterTemplate).count(), s.query(models.Cluster).count()


def test_a_kubernetes_template_gets_flannel_and_the_debian_driver(alice: Api) -> None:
    response = alice.post("/v1/clustertemplates", _body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["network_driver"], body["driver"]) == ("flannel", "kubernetes_debian")
    assert body["cluster_distro"] == "debian"


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        (
            {"network_driver": "calico"},
            "Network driver type calico is not supported by the Kubernetes driver, "
            "expecting a flannel/unspecified network driver.",
        ),
        (
            {"labels": {"flannel_backend": "udp"}},
            "Label flannel_backend=udp is not supported, expecting one of vxlan, host-gw "
            "(flannel no longer has a udp backend).",
        ),
        (
            {"labels": {"flannel_backend": "ipip"}},
            "Label flannel_backend=ipip is not supported, expecting one of vxlan, host-gw "
            "(flannel no longer has a udp backend).",
        ),
        (
            {"labels": {"flannel_network_cidr": "10.254.0.0/20"}},
            "Label flannel_network_cidr (10.254.0.0/20) overlaps the service network 10.254.0.0/16.",
        ),
        (
            {"labels": {"flannel_network_cidr": "8.8.0.0/16"}},
            "Label flannel_network_cidr must be a private IPv4 network, got 8.8.0.0/16.",
        ),
        (
            {"labels": {"flannel_network_cidr": "banana"}},
            "Label flannel_network_cidr must be an IPv4 network such as 10.100.0.0/16, got banana.",
        ),
        (
            {"labels": {"flannel_network_subnetlen": "16"}},
            "Label flannel_network_subnetlen must be a whole number from 17 to 28 for the "
            "network 10.100.0.0/16, got 16.",
        ),
        (
            {"labels": {"kube_tag": "latest"}},
            "Label kube_tag must be a Kubernetes release such as v1.34.12, got latest.",
        ),
        (
            {"tls_disabled": True},
            "Kubernetes clusters always serve their API with TLS: tls_disabled must be False.",
        ),
    ],
)
def test_template_refusals(alice: Api, overrides: dict[str, Any], detail: str) -> None:
    assert_error(alice.post("/v1/clustertemplates", _body(**overrides)), 400, detail)
    assert _rows() == (0, 0)


def test_patch_runs_the_same_checks(alice: Api) -> None:
    uuid = alice.post("/v1/clustertemplates", _body()).json()["uuid"]
    patch = [{"op": "add", "path": "/labels", "value": {"flannel_backend": "udp"}}]
    assert_error(alice.patch(f"/v1/clustertemplates/{uuid}", patch), 400)
    assert alice.get(f"/v1/clustertemplates/{uuid}").json()["labels"] == {}


def test_cluster_labels_are_checked_over_the_template(alice: Api) -> None:
    uuid = alice.post("/v1/clustertemplates", _body(labels={"flannel_backend": "host-gw"})).json()[
        "uuid"
    ]
    response = alice.post(
        "/v1/clusters",
        {"name": "k", "cluster_template_id": uuid, "labels": {"flannel_network_subnetlen": "x"}},
    )
    assert_error(
        response,
        400,
        "Label flannel_network_subnetlen must be a whole number from 17 to 28 for the "
        "network 10.100.0.0/16, got x.",
    )
    assert _rows() == (1, 0)


@pytest.mark.parametrize(
    ("lb", "count", "detail"),
    [
        (True, 2, "master nodegroup size of 2 is invalid, size cannot be an even number."),
        (False, 3, "master_count must be 1 when master_lb_enabled is False"),
    ],
)
def test_master_counts_kubernetes_cannot_have(
    alice: Api, lb: bool, count: int, detail: str
) -> None:
    """An even control plane gains no failure tolerance over the odd one below it (etcd's
    quorum), and more than one master needs the load balancer in front of them."""
    uuid = alice.post("/v1/clustertemplates", _body(master_lb_enabled=lb)).json()["uuid"]
    response = alice.post(
        "/v1/clusters", {"name": "k", "cluster_template_id": uuid, "master_count": count}
    )
    assert_error(response, 400, detail)
    assert _rows() == (1, 0)
