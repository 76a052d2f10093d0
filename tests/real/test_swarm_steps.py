"""A real Swarm create, step by step: ``status_reason`` reads ``step i/n: <name>`` while it
runs, and ``GET /v1/clusters/{ident}/events`` keeps the history after it (``moorage serve``
with the swarm-mode driver on the local Docker engine)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.real.test_swarm_service import eventually, owned
from tests.support.live import serve

pytestmark = pytest.mark.real

CREATE_STEPS = [
    "creating the cluster network",
    "creating the nodes of default-master",
    "creating the nodes of default-worker",
    "waiting for the node engines",
    "joining nodes to the swarm",
    "waiting for nodes to be Ready",
]
HEADERS = {"OpenStack-API-Version": "container-infra latest"}


@pytest.fixture
def http(node_image: str, tmp_path: Path) -> Iterator[httpx.Client]:
    with (
        serve(tmp_path, fake=False) as live,
        httpx.Client(base_url=live.url, headers=HEADERS, timeout=30) as client,
    ):
        yield client


def create(http: httpx.Client) -> str:
    template = http.post(
        "/v1/clustertemplates",
        json={
            "name": "steps",
            "coe": "swarm-mode",
            "image_id": "moorage-node",
            "external_network_id": "public",
            "flavor_id": "m1.small",
            "master_flavor_id": "m1.small",
        },
    )
    assert template.status_code == 201, template.text
    body = {"name": "steps", "cluster_template_id": template.json()["uuid"], "node_count": 1}
    cluster = http.post("/v1/clusters", json=body)
    assert cluster.status_code == 202, cluster.text
    return str(cluster.json()["uuid"])


def watch(http: httpx.Client, uuid: str) -> tuple[dict[str, Any], list[str]]:
    """Poll the cluster until its create ends; the reasons it showed meanwhile, in order."""
    reasons: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        shown = http.get(f"/v1/clusters/{uuid}").json()
        if shown["status"] != "CREATE_IN_PROGRESS":
            return shown, reasons
        reason = shown["status_reason"]
        if reason and (not reasons or reasons[-1] != reason):
            reasons.append(reason)
        time.sleep(0.1)
    raise AssertionError(f"create of {uuid} still running; reasons seen: {reasons}")


def test_create_steps_are_named_and_recorded(
    http: httpx.Client, docker_host: docker.DockerClient
) -> None:
    uuid = create(http)
    try:
        shown, reasons = watch(http, uuid)
        assert shown["status"] == "CREATE_COMPLETE", shown["status_reason"]
        total = len(CREATE_STEPS)
        expected = [f"step {i}/{total}: {name}" for i, name in enumerate(CREATE_STEPS, 1)]
        # Every reason shown was a step (or a detail of one), in the declared order.
        assert reasons, "no status_reason seen during the create"
        for reason in reasons:
            assert re.match(rf"step [1-{total}]/{total}: ", reason), reasons
        seen = [next(e for e in expected if r.startswith(e)) for r in reasons]
        assert seen == sorted(set(seen), key=expected.index), reasons
        assert len(seen) >= 3, reasons  # the slow ones (nodes, engines, Ready) are seen

        events = http.get(f"/v1/clusters/{uuid}/events")
        assert events.status_code == 200, events.text
        history = events.json()["events"]
        assert [e["step"] for e in history] == CREATE_STEPS[::-1]  # newest first
        for event in history:
            assert (event["operation"], event["total"], event["outcome"]) == (
                "cluster_create",
                total,
                "success",
            )
            assert event["started_at"] <= event["finished_at"]
        assert [e["index"] for e in history] == list(range(total, 0, -1))
        paged = http.get(f"/v1/clusters/{uuid}/events", params={"limit": 2}).json()
        assert [e["step"] for e in paged["events"]] == CREATE_STEPS[:3:-1]
        assert "marker=" in paged["next"]
    finally:
        http.delete(f"/v1/clusters/{uuid}")
        eventually(
            lambda: http.get(f"/v1/clusters/{uuid}").status_code == 404,
            what=f"cluster {uuid} deleted",
        )
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
