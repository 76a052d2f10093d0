"""A resize's ``nodes_to_remove`` is checked against the nodes the driver reported.

Before the check, an unknown name was accepted (202) and failed the cluster
(UPDATE_FAILED) once the driver looked for it.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, assert_error
from tests.api.test_cluster_actions import resize_path
from tests.api.test_clusters import (
    LEASE,
    last_request,
    nodegroup_rows,
    requests_of,
    running_cluster,
    snapshot,
    wait_status,
)


def worker_nodes(cluster_uuid: str) -> list[dict[str, Any]]:
    """The default worker group's recorded nodes, in name order."""
    worker = nodegroup_rows(cluster_uuid)[1]
    assert worker.name == "default-worker" and worker.nodes is not None
    return sorted(worker.nodes, key=lambda node: str(node["name"]))


def test_created_cluster_records_its_nodes(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=2)["uuid"]
    nodes = worker_nodes(uuid)
    assert [len(node["ids"]) for node in nodes] == [1, 1]
    assert [node["address"] for node in nodes] == ["10.0.1.2", "10.0.1.3"]
    (master,) = nodegroup_rows(uuid)[0].nodes or []
    assert master["address"] == "10.0.0.2"


def test_unknown_nodes_are_refused_naming_the_valid_ones(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=2)["uuid"]
    names = [node["name"] for node in worker_nodes(uuid)]
    short = worker_nodes(uuid)[0]["ids"][0][:5]  # a prefix must have 6 characters or more
    queued, before = len(requests_of(uuid)), snapshot(LEASE)
    for body in (
        {"node_count": 1, "nodes_to_remove": ["demo-1a2b3c4d-default-worker-0"]},
        {"node_count": 1, "nodes_to_remove": [names[0], "nope", short]},
        {"node_count": 1, "nodes_to_remove": ["nope"], "nodegroup": "default-master"},
    ):
        response = alice.post(resize_path(uuid), body)
        assert response.status_code == 400, response.text
    assert_error(
        alice.post(resize_path(uuid), {"node_count": 2, "nodes_to_remove": ["x", short]}),
        400,
        f"Nodes to remove not found in nodegroup default-worker: x, {short}. "
        f"Its nodes: {', '.join(names)} (name a node by its name, its id or an unambiguous "
        "id prefix of 6 or more characters, or its address).",
    )
    assert len(requests_of(uuid)) == queued  # nothing queued
    assert snapshot(LEASE) == before  # node_count and every other column unchanged
    assert alice.get(f"/v1/clusters/{uuid}").json()["node_count"] == 2


def test_a_named_node_is_removed(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=3)["uuid"]
    names = [node["name"] for node in worker_nodes(uuid)]
    body = {"node_count": 2, "nodes_to_remove": [names[0]]}
    assert alice.post(resize_path(uuid), body).status_code == 202
    cluster = wait_status(alice, f"/v1/clusters/{uuid}", "UPDATE_COMPLETE")
    assert cluster["node_count"] == 2
    assert [node["name"] for node in worker_nodes(uuid)] == names[1:]
    assert cluster["node_addresses"] == ["10.0.1.3", "10.0.1.4"]


def test_an_id_prefix_and_an_address_name_a_node(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=3)["uuid"]
    nodes = worker_nodes(uuid)
    body = {
        "node_count": 1,
        "nodes_to_remove": [nodes[1]["ids"][0][:6], nodes[2]["address"], nodes[1]["name"]],
    }
    assert alice.post(resize_path(uuid), body).status_code == 202
    # the driver is handed the names, once each
    assert last_request(uuid)[1]["nodes_to_remove"] == [nodes[1]["name"], nodes[2]["name"]]
    wait_status(alice, f"/v1/clusters/{uuid}", "UPDATE_COMPLETE")
    assert [node["name"] for node in worker_nodes(uuid)] == [nodes[0]["name"]]
