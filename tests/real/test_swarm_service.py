"""Real Swarm clusters through the whole service: ``moorage serve``, the API, the conductor
and the swarm-mode driver on the local Docker engine, driven with the ``moorage`` client
and checked with the Docker SDK from the host.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors
import pytest
import requests
from docker.types import EndpointSpec, ServiceMode

from moorage.drivers import dockerapi
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real
MOORAGE = str(Path(sys.executable).parent / "moorage")
T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 120, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
            last = value
        except Exception as exc:  # the thing checked is still coming up
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what} not reached in {timeout}s; last: {last!r}")


class Client:
    """The ``moorage`` command bound to one server."""

    def __init__(self, server: LiveServer) -> None:
        self.url = server.url

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [MOORAGE, "--url", self.url, *args], capture_output=True, text=True, timeout=600
        )
        if ok:
            assert done.returncode == 0, f"moorage {' '.join(args)}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-f", "json").stdout)

    def cluster(self, name: str) -> dict[str, Any]:
        shown: dict[str, Any] = self.json("cluster", "show", name)
        return shown


@pytest.fixture(scope="module")
def moorage(
    node_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Client]:
    extra = "[kubernetes]\nhealth_polling_interval = 3\n"
    with serve(tmp_path_factory.mktemp("swarm-service"), extra_config=extra, fake=False) as live:
        client = Client(live)
        client.run(
            "template", "create", "swarm", "--coe", "swarm-mode", "--image", "moorage-node",
            "--external-network", "public", "--flavor", "m1.small", "--master-flavor", "m1.small",
        )  # fmt: skip
        yield client


def tls_client(directory: Path, api_address: str) -> docker.DockerClient:
    """A Docker client with the files ``moorage cluster config`` wrote (as DOCKER_CERT_PATH)."""
    files = dockerapi.TlsFiles(
        ca=str(directory / "ca.pem"),
        cert=str(directory / "cert.pem"),
        key=str(directory / "key.pem"),
    )
    return dockerapi.remote(api_address, files, timeout=30)


def cluster_config(moorage: Client, name: str, directory: Path) -> docker.DockerClient:
    directory.mkdir(parents=True, exist_ok=True)
    moorage.run("cluster", "config", name, "--dir", str(directory), "--force")
    return tls_client(directory, moorage.cluster(name)["api_address"])


def ready_nodes(client: docker.DockerClient) -> list[str]:
    return sorted(
        n.attrs["Description"]["Hostname"]
        for n in client.nodes.list()
        if n.attrs["Status"]["State"] == "ready"
    )


def owned(host: docker.DockerClient, uuid: str) -> dict[str, list[str]]:
    label = {"label": f"moorage.cluster={uuid}"}
    return {
        "containers": [c.name for c in host.containers.list(all=True, filters=label)],
        "networks": [n.name for n in host.networks.list(filters=label)],
        "volumes": [v.name for v in host.volumes.list(filters=label)],
    }


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=3) as answer:
        return str(answer.read().decode())


def test_the_whole_lifecycle(
    moorage: Client,
    docker_host: docker.DockerClient,
    node_image: str,
    workload_image: str,
    tmp_path: Path,
) -> None:
    moorage.run(
        "cluster", "create", "life", "--cluster-template", "swarm", "--node-count", "2",
        "--labels", "auto_healing_enabled=true", "--wait", "--poll-interval", "0.5",
    )  # fmt: skip
    cluster = moorage.cluster("life")
    uuid = cluster["uuid"]
    try:
        assert (cluster["status"], cluster["master_count"], cluster["node_count"]) == (
            "CREATE_COMPLETE",
            1,
            2,
        )
        assert cluster["api_address"].startswith("tcp://127.0.0.1:")
        first = cluster_config(moorage, "life", tmp_path / "first")
        assert len(ready_nodes(first)) == 3

        # a workload from a local image, published in host mode, reached from the host
        loaded = moorage.json("cluster", "load-image", "life", workload_image)
        assert len(loaded["nodes"]) == 3
        first.services.create(
            workload_image,
            command=[
                "sh",
                "-c",
                "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www",
            ],
            name="web",
            mode=ServiceMode("replicated", replicas=3),
            maxreplicas=1,
            endpoint_spec=EndpointSpec(mode="dnsrr", ports={8080: (80, "tcp", "host")}),
        )
        addresses = cluster["master_addresses"] + cluster["node_addresses"]
        answers = {
            eventually(lambda ip=ip: http_get(f"http://{ip}:8080/"), what=f"web on {ip}")
            for ip in addresses
        }
        assert len(answers) == 3  # one replica per node, each answering with its own name

        # grow, then shrink naming the node that goes
        moorage.run("cluster", "resize", "life", "3", "--wait", "--poll-interval", "0.5")
        assert len(ready_nodes(first)) == 4
        workers = sorted(n for n in ready_nodes(first) if "worker" in n)
        doomed = workers[0]
        moorage.run(
            "cluster", "resize", "life", "1", "--nodes-to-remove", doomed, "--wait",
            "--poll-interval", "0.5",
        )  # fmt: skip
        remaining = ready_nodes(first)
        assert len(remaining) == 2 and doomed not in remaining
        assert moorage.cluster("life")["node_count"] == 1

        # rolling upgrade to another template (another tag of the node image)
        docker_host.images.get(node_image).tag("moorage-node", "service-upgrade")
        moorage.run(
            "template", "create", "swarm-v2", "--coe", "swarm-mode", "--image", "moorage-node",
            "--external-network", "public", "--flavor", "m1.small", "--master-flavor", "m1.small",
            "--labels", "node_image_tag=service-upgrade",
        )  # fmt: skip
        # the default worker group (Magnum's default), then the masters
        moorage.run("cluster", "upgrade", "life", "swarm-v2", "--wait", "--poll-interval", "0.5")
        moorage.run(
            "cluster", "upgrade", "life", "swarm-v2", "--nodegroup", "default-master", "--wait",
            "--poll-interval", "0.5",
        )  # fmt: skip
        upgraded = moorage.cluster("life")
        assert upgraded["status"] == "UPDATE_COMPLETE"
        template_v2 = moorage.json("template", "show", "swarm-v2")
        assert upgraded["cluster_template_id"] == template_v2["uuid"]
        images = {
            c.attrs["Config"]["Image"]
            for c in docker_host.containers.list(filters={"label": f"moorage.cluster={uuid}"})
        }
        assert images == {"moorage-node:service-upgrade"}

        # CA rotation: the old client certificate is refused, a new one works
        moorage.run("ca", "rotate", "life")
        eventually(lambda: moorage.cluster("life")["status"] == "UPDATE_COMPLETE", what="rotation")
        second = cluster_config(moorage, "life", tmp_path / "second")
        assert len(ready_nodes(second)) == 2
        old_cert = dockerapi.TlsFiles(
            ca=str(tmp_path / "second" / "ca.pem"),  # trusts the new server certificate...
            cert=str(tmp_path / "first" / "cert.pem"),  # ...but shows the old client one
            key=str(tmp_path / "first" / "key.pem"),
        )
        with pytest.raises(requests.exceptions.RequestException):
            dockerapi.remote(upgraded["api_address"], old_cert, timeout=10).ping()

        # a node container killed behind Moorage's back: UNHEALTHY, then healed
        victim = next(
            c
            for c in docker_host.containers.list(filters={"label": f"moorage.cluster={uuid}"})
            if "worker" in c.name
        )
        victim.remove(force=True)
        eventually(
            lambda: moorage.cluster("life")["health_status"] == "UNHEALTHY", what="unhealthy"
        )
        reason = moorage.cluster("life")["health_status_reason"]
        assert any(v == "False" or "node containers exist" in v for v in reason.values()), reason
        eventually(
            lambda: moorage.cluster("life")["health_status"] == "HEALTHY",
            timeout=180,
            what="healed",
        )
        assert len(ready_nodes(second)) == 2
    finally:
        moorage.run("cluster", "delete", "life", "--wait", "--poll-interval", "0.5", ok=False)
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
    assert moorage.run("ca", "show", uuid, ok=False).returncode == 1
    docker_host.images.remove("moorage-node:service-upgrade")


def test_three_managers_survive_the_loss_of_one(
    moorage: Client,
    docker_host: docker.DockerClient,
    tmp_path: Path,
) -> None:
    moorage.run(
        "cluster", "create", "quorum", "--cluster-template", "swarm", "--master-count", "3",
        "--master-lb-enabled", "--node-count", "0", "--wait", "--poll-interval", "0.5",
    )  # fmt: skip
    uuid = moorage.cluster("quorum")["uuid"]
    try:
        client = cluster_config(moorage, "quorum", tmp_path)
        assert len(ready_nodes(client)) == 3
        api_port = moorage.cluster("quorum")["api_address"].rsplit(":", 1)[1]
        managers = docker_host.containers.list(filters={"label": f"moorage.cluster={uuid}"})
        # stop a manager that is not the one behind api_address
        other = next(
            c
            for c in managers
            if not any(
                b and b[0]["HostPort"] == api_port
                for b in (c.attrs["HostConfig"]["PortBindings"] or {}).values()
            )
        )
        other.stop(timeout=1)
        eventually(lambda: len(ready_nodes(client)) == 2, what="two managers left")
        service = client.services.create(
            "moorage-busybox", command=["sleep", "1000"], name="still-works"
        )
        assert service.id

        def manager_down() -> dict[str, str]:
            reason: dict[str, str] = moorage.cluster("quorum")["health_status_reason"]
            return reason if reason.get(f"{other.name}.Ready") == "False" else {}

        report = eventually(manager_down, what="health shows the stopped manager")
        assert "quorum" not in report and report["api"] == "ok"
    finally:
        moorage.run("cluster", "delete", "quorum", "--wait", "--poll-interval", "0.5", ok=False)
    assert owned(docker_host, uuid)["containers"] == []


def test_three_clusters_created_at_once(moorage: Client, docker_host: docker.DockerClient) -> None:
    names = ["para-1", "para-2", "para-3"]
    for name in names:
        moorage.run("cluster", "create", name, "--cluster-template", "swarm", "--node-count", "0")
    try:
        clusters = [
            eventually(
                lambda n=n: (c := moorage.cluster(n))["status"] == "CREATE_COMPLETE" and c, what=n
            )
            for n in names
        ]
        ports = {c["api_address"] for c in clusters}
        assert len(ports) == 3
        networks = set()
        for c in clusters:
            networks.update(owned(docker_host, c["uuid"])["networks"])
        assert len(networks) == 3
    finally:
        for name in names:
            moorage.run("cluster", "delete", name, ok=False)
        for name in names:
            eventually(
                lambda n=name: moorage.run("cluster", "show", n, ok=False).returncode == 1,
                what=f"{name} gone",
            )
