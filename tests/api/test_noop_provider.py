"""The whole API and conductor flow on the ``noop`` provider, with no Docker engine.

A template with the label ``provider=noop`` builds its clusters from records: the
Swarm COE's rules, the node layer's names and addresses, and nothing that runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import pytest

from moorage.drivers import providers
from tests.api.conftest import Api, assert_error, wait_for
from tests.api.test_cluster_actions import resize_path
from tests.api.test_clusters import make_template, post_cluster

NOOP = {"provider": "noop"}


@pytest.fixture
def docker_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Docker client made meanwhile, refused (so an operation using one fails)."""
    made: list[str] = []

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(str(kwargs.get("base_url") or args))
        raise AssertionError("the noop provider made a Docker client")

    monkeypatch.setattr(docker.api.client.APIClient, "__init__", refuse)
    yield made


def status_is(api: Api, uuid: str, status: str) -> dict[str, Any] | None:
    body: dict[str, Any] = api.get(f"/v1/clusters/{uuid}").json()
    assert not body["status"].endswith("FAILED"), body["status_reason"]
    return body if body["status"] == status else None


def test_a_cluster_lives_its_whole_life_on_records(alice: Api, docker_calls: list[str]) -> None:
    template = make_template(alice, image_id="moorage-node", labels=NOOP)
    uuid = post_cluster(
        alice, template["uuid"], master_count=3, node_count=2, master_lb_enabled=True
    )

    created = wait_for(lambda: status_is(alice, uuid, "CREATE_COMPLETE"))
    assert created["master_addresses"] == ["192.168.128.10", "192.168.128.11", "192.168.128.12"]
    assert created["node_addresses"] == ["192.168.128.13", "192.168.128.14"]
    assert created["api_address"] == "tcp://192.168.128.10:443"

    response = alice.post(resize_path(uuid), {"node_count": 3})
    assert response.status_code == 202, response.text
    resized = wait_for(lambda: status_is(alice, uuid, "UPDATE_COMPLETE"))
    assert resized["node_addresses"] == ["192.168.128.13", "192.168.128.14", "192.168.128.15"]
    assert resized["node_count"] == 3

    response = alice.post(resize_path(uuid), {"node_count": 1})
    assert response.status_code == 202, response.text
    shrunk = wait_for(
        lambda: (
            status_is(alice, uuid, "UPDATE_COMPLETE")
            if len(alice.get(f"/v1/clusters/{uuid}").json()["node_addresses"]) == 1
            else None
        )
    )
    assert shrunk["node_addresses"] == ["192.168.128.13"]  # the highest-numbered went

    assert alice.delete(f"/v1/clusters/{uuid}").status_code == 204
    wait_for(lambda: alice.get(f"/v1/clusters/{uuid}").status_code == 404)
    assert providers.get("noop").find_nodes(uuid) == []
    assert docker_calls == []


def test_the_coe_rules_hold_on_records(alice: Api) -> None:
    template = make_template(alice, image_id="moorage-node", labels=NOOP)
    response = alice.post(
        "/v1/clusters",
        {"cluster_template_id": template["uuid"], "master_count": 2, "master_lb_enabled": True},
    )
    assert_error(
        response,
        400,
        "master nodegroup size of 2 is invalid, this driver supports 1, 3 or 5 masters.",
    )


def test_an_unknown_provider_is_refused_naming_the_known_ones(alice: Api) -> None:
    known = "Provider (nope) not supported; the known providers are: docker, noop."
    response = alice.post(
        "/v1/clustertemplates",
        {
            "name": "t",
            "coe": "swarm-mode",
            "image_id": "moorage-node",
            "labels": {"provider": "nope"},
        },
    )
    assert_error(response, 400, known)
    template = make_template(alice, image_id="moorage-node", labels=NOOP)
    patch = [{"op": "replace", "path": "/labels/provider", "value": "nope"}]
    assert_error(alice.patch(f"/v1/clustertemplates/{template['uuid']}", patch), 400, known)
    assert alice.get(f"/v1/clustertemplates/{template['uuid']}").json()["labels"] == NOOP
