"""Three masters behind the load balancer, through the whole service: ``moorage serve``,
the API, the conductor and the Kubernetes driver on the local Docker engine, checked
with ``kubectl`` through the kubeconfig ``moorage cluster config`` writes.

The published endpoint must outlive the master that ran ``kubeadm init``: stopped
behind Moorage's back, the cluster still answers reads and writes (etcd keeps its
quorum with two of three), the health poll names the master that is down, and
auto-healing starts it again as a member. The balancer removed behind Moorage's
back is named by the health poll and made again by auto-healing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.real.test_kubernetes_service import (  # noqa: F401 (fixtures)
    CREATE_STEPS,
    HEADERS,
    k8s_image,
    kube,
    moorage_bin,
)
from tests.real.test_swarm_service import Client, eventually, owned
from tests.support.live import serve

pytestmark = pytest.mark.real
CONFIGMAP = (
    "{apiVersion: v1, kind: ConfigMap, metadata: {name: after-the-first-master}, data: {k: v}}"
)
HA_STEPS = [*CREATE_STEPS[:3], "creating the API load balancer", *CREATE_STEPS[3:]]


@pytest.fixture(scope="module")
def moorage(k8s_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:  # noqa: F811
    extra = "[kubernetes]\nhealth_polling_interval = 3\n"
    with serve(tmp_path_factory.mktemp("k8s-ha"), extra_config=extra, fake=False) as live:
        client = Client(live)
        client.run(
            "template", "create", "k8s-ha", "--coe", "kubernetes", "--image", "moorage-k8s-node",
            "--external-network", "public", "--flavor", "m1.small", "--master-flavor", "m1.small",
            "--master-lb-enabled",
        )  # fmt: skip
        yield client


def unhealthy(moorage: Client) -> dict[str, Any]:
    return eventually(
        lambda: moorage.cluster("ha")["health_status"] == "UNHEALTHY" and moorage.cluster("ha"),
        timeout=180,
        what="UNHEALTHY",
    )


def healthy(moorage: Client) -> dict[str, Any]:
    return eventually(
        lambda: moorage.cluster("ha")["health_status"] == "HEALTHY" and moorage.cluster("ha"),
        timeout=300,
        what="HEALTHY",
    )


def published_port(api_address: str) -> int:
    return int(api_address.rsplit(":", 1)[1])


def test_three_masters_survive_losing_the_first(
    moorage: Client, docker_host: docker.DockerClient, tmp_path: Path
) -> None:
    moorage.run(
        "cluster", "create", "ha", "--cluster-template", "k8s-ha", "--master-count", "3",
        "--node-count", "1", "--labels", "auto_healing_enabled=true", "--merge-labels",
        "--wait", "--poll-interval", "1",
    )  # fmt: skip
    cluster = moorage.cluster("ha")
    uuid = cluster["uuid"]
    try:
        assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
        assert len(cluster["master_addresses"]) == 3 and len(cluster["node_addresses"]) == 1
        history = httpx.get(
            f"{moorage.url}/v1/clusters/{uuid}/events", headers=HEADERS, timeout=30
        ).json()["events"]
        assert [e["step"] for e in history][::-1] == HA_STEPS

        # the published endpoint is the balancer's, a process with no capability at all
        (lb,) = docker_host.containers.list(
            filters={"label": [f"moorage.cluster={uuid}", "moorage.role=balancer"]}
        )
        bindings = lb.attrs["HostConfig"]["PortBindings"]["6443/tcp"]
        assert bindings == [
            {"HostIp": "127.0.0.1", "HostPort": str(published_port(cluster["api_address"]))}
        ]
        assert lb.attrs["HostConfig"]["CapDrop"] == ["ALL"]
        assert lb.attrs["Config"]["User"] == "65534:65534"
        masters = sorted(n for n in owned(docker_host, uuid)["containers"] if "-master-" in n)
        assert len(masters) == 3

        kubectl = kube(moorage, "ha", tmp_path / "ha")
        assert len(kubectl.ready_nodes()) == 4
        control_plane = kubectl.json("get", "nodes", "-l", "node-role.kubernetes.io/control-plane")
        assert sorted(n["metadata"]["name"] for n in control_plane["items"]) == masters
        etcd = kubectl.json("-n", "kube-system", "get", "pods", "-l", "component=etcd")["items"]
        assert sorted(p["spec"]["nodeName"] for p in etcd) == masters

        # the master that ran kubeadm init goes away: reads and writes still work, once
        # etcd has elected another leader if it was the leader (a write meanwhile times out)
        first = masters[0]
        docker_host.containers.get(first).stop(timeout=5)
        eventually(
            lambda: (
                "after-the-first-master" in kubectl("apply", "-f", "-", stdin=CONFIGMAP, ok=False)
            ),
            timeout=60,
            what="a write with two masters of three",
        )
        assert kubectl.json("get", "configmap", "after-the-first-master")["data"] == {"k": "v"}
        sick = unhealthy(moorage)
        assert sick["health_status_reason"]["api"] == "ok"
        assert sick["health_status_reason"][f"{first}.Ready"] == "False"
        # auto-healing starts it again, a member again: every node Ready, HEALTHY
        healthy(moorage)
        assert docker_host.containers.get(first).status == "running"
        assert len(kubectl.ready_nodes()) == 4

        # the balancer removed behind Moorage's back: named, then made again
        lb.remove(force=True)
        sick = unhealthy(moorage)
        # gone, or seen while the engine was still removing it
        assert sick["health_status_reason"]["api_lb"] in (
            "the load balancer in front of the masters is gone",
            f"load balancer {lb.name} is removing",
        )
        healed = healthy(moorage)
        kubectl = kube(moorage, "ha", tmp_path / "healed")  # it may publish another port
        assert healed["api_address"] == kubectl.server()
        assert len(kubectl.ready_nodes()) == 4
    finally:
        moorage.run("cluster", "delete", "ha", "--wait", "--poll-interval", "1", ok=False)
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
