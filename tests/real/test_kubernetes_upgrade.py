"""A rolling upgrade of a real Kubernetes cluster to a template with another ``kube_tag``
(v1.34.12 -> v1.35.8, both built by ``make k8s-image``), through ``moorage serve`` and
the ``moorage`` client: control plane first, then the workers one at a time, while a
workload behind a NodePort keeps answering from the host.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import docker
import pytest

from tests.real.test_kubernetes_service import WEB, kube, pods
from tests.real.test_swarm_service import Client, eventually, owned
from tests.support.live import serve

pytestmark = pytest.mark.real
OLD, NEW = "v1.34.12", "v1.35.8"
BUDGET = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
"""


@pytest.fixture(scope="module")
def moorage(
    docker_host: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    for tag in (OLD, NEW):
        docker_host.images.get(f"moorage-k8s-node:{tag}")  # make k8s-image builds both
    with serve(tmp_path_factory.mktemp("k8s-upgrade"), fake=False) as live:
        client = Client(live)
        for name, tag in (("k8s-old", OLD), ("k8s-new", NEW)):
            client.run(
                "template", "create", name, "--coe", "kubernetes", "--image", "moorage-k8s-node",
                "--external-network", "public", "--flavor", "m1.small", "--master-flavor",
                "m1.small", "--labels", f"kube_tag={tag}",
            )  # fmt: skip
        yield client


class Prober(threading.Thread):
    """Asks the NodePort on every node address, round after round, until stopped: a
    round in which no node answered is a moment the workload was unavailable, kept with
    its time and each address's error so that a failure can be set against the steps."""

    def __init__(self, addresses: list[str]) -> None:
        super().__init__(daemon=True)
        self.addresses, self.rounds = addresses, 0
        self.dark: list[str] = []
        self.halt = threading.Event()

    def error(self, address: str) -> str | None:
        try:
            with urllib.request.urlopen(f"http://{address}:30080/", timeout=2) as answer:
                return None if answer.read() else "empty answer"
        except OSError as e:
            return f"{address}: {e}"

    def run(self) -> None:
        while not self.halt.is_set():
            self.rounds += 1
            errors = []
            for address in self.addresses:
                if (error := self.error(address)) is None:
                    break
                errors.append(error)
            else:
                self.dark.append(f"{datetime.now(UTC).isoformat()} {'; '.join(errors)}")
            time.sleep(0.5)


def steps_run(moorage: Client, uuid: str) -> list[str]:
    """The cluster's recorded steps, oldest first, with their times (a failure's context)."""
    url = f"{moorage.url}/v1/clusters/{uuid}/events?limit=200&sort_dir=asc"
    with urllib.request.urlopen(url, timeout=10) as answer:
        events = json.load(answer)["events"]
    return [f"{e['started_at']} .. {e['finished_at']} {e['step']}" for e in events]


def test_rolling_upgrade_keeps_the_workload(
    moorage: Client, docker_host: docker.DockerClient, workload_image: str, tmp_path: Path
) -> None:
    moorage.run(
        "cluster", "create", "up", "--cluster-template", "k8s-old", "--node-count", "2",
        "--wait", "--poll-interval", "1",
    )  # fmt: skip
    cluster = moorage.cluster("up")
    uuid = cluster["uuid"]
    try:
        kubectl = kube(moorage, "up", tmp_path / "up")
        moorage.json("cluster", "load-image", "up", workload_image)
        kubectl("apply", "-f", "-", stdin=WEB.replace("IMAGE", workload_image) + "---" + BUDGET)
        kubectl("rollout", "status", "deployment/web", "--timeout=120s")
        prober = Prober(cluster["master_addresses"] + cluster["node_addresses"])
        # a rolled-out Deployment's NodePort is open only once each kube-proxy has
        # programmed it (seen refused on every node just after `rollout status`)
        for address in prober.addresses:
            eventually(lambda a=address: prober.error(a) is None, 60, f"NodePort on {address}")
        prober.start()
        moorage.run(
            "cluster", "upgrade", "up", "k8s-new", "--max-batch-size", "1", "--wait",
            "--poll-interval", "1",
        )  # fmt: skip
        prober.halt.set()
        prober.join()
        upgraded = moorage.cluster("up")
        assert upgraded["status"] == "UPDATE_COMPLETE", upgraded["status_reason"]
        assert upgraded["coe_version"] == NEW
        versions = {
            n["status"]["nodeInfo"]["kubeletVersion"] for n in kubectl.json("get", "nodes")["items"]
        }
        assert versions == {NEW}
        assert kubectl.json("version")["serverVersion"]["gitVersion"] == NEW
        assert len(kubectl.ready_nodes()) == 3
        images = {
            c.attrs["Config"]["Image"]
            for c in docker_host.containers.list(filters={"label": f"moorage.cluster={uuid}"})
        }
        assert images == {f"moorage-k8s-node:{NEW}"}
        assert prober.rounds > 10
        assert not prober.dark, "\n".join(
            [f"{len(prober.dark)} of {prober.rounds} rounds unanswered:", *prober.dark,
             "steps:", *steps_run(moorage, uuid)]
        )  # fmt: skip
        assert len(pods(kubectl)) == 4
    finally:
        moorage.run("cluster", "delete", "up", "--wait", "--poll-interval", "1", ok=False)
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
