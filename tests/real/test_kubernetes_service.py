"""Real Kubernetes clusters through the whole service: ``moorage serve``, the API, the
conductor and the Kubernetes driver on the local Docker engine, driven with the
``moorage`` client and checked with ``kubectl`` from the same build, through the
kubeconfig ``moorage cluster config`` writes.

One cluster (1 master, 2 workers, flannel vxlan) carries the workload checks and the
lifecycle; a second, smaller one checks the host-gw backend.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest
import yaml

from tests.real.test_magnum_client import OPENSTACK, Coe
from tests.real.test_swarm_service import Client, eventually, owned
from tests.support.live import serve

pytestmark = pytest.mark.real
KUBE_VERSION = "v1.34.12"
HEADERS = {"OpenStack-API-Version": "container-infra latest"}
CREATE_STEPS = [
    "creating the cluster network",
    "creating the nodes of default-master",
    "creating the nodes of default-worker",
    "waiting for the node runtimes",
    "importing the cluster's images",
    "initialising the control plane",
    "applying the pod network and DNS",
    "joining nodes to the cluster",
    "configuring the nodes' pod networks",
    "waiting for nodes to be Ready",
    "waiting for the pod network on every node",
    "waiting for CoreDNS",
]


def kubectl_path() -> str:
    """The kubectl that ``moorage image build --coe kubernetes`` installs beside ``moorage``."""
    found = Path(sys.executable).parent / "kubectl"
    assert found.exists(), "kubectl: `moorage image build --coe kubernetes` installs it"
    return str(found)


class Kubectl:
    def __init__(self, kubeconfig: Path) -> None:
        # HOME: kubectl keeps its discovery cache there (not in the working directory)
        home = str(kubeconfig.parent)
        self.env = {"KUBECONFIG": str(kubeconfig), "PATH": "/usr/bin:/bin", "HOME": home}
        self.binary = kubectl_path()

    def __call__(self, *args: str, ok: bool = True, stdin: str | None = None) -> str:
        done = subprocess.run(
            [self.binary, *args], capture_output=True, text=True, env=self.env, input=stdin,
            timeout=180,
        )  # fmt: skip
        if ok:
            assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "-o", "json"))

    def server(self) -> str:
        """The API address the kubeconfig names."""
        config = yaml.safe_load(Path(self.env["KUBECONFIG"]).read_text())
        return str(config["clusters"][0]["cluster"]["server"])

    def ready_nodes(self) -> list[str]:
        return sorted(
            n["metadata"]["name"]
            for n in self.json("get", "nodes")["items"]
            if any(
                c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]
            )
        )


@pytest.fixture(scope="module")
def k8s_image(docker_host: docker.DockerClient, moorage_bin: str) -> str:
    built = subprocess.run(
        [moorage_bin, "image", "build", "--coe", "kubernetes"], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    return f"moorage-k8s-node:{KUBE_VERSION}"


@pytest.fixture(scope="module")
def moorage_bin() -> str:
    from tests.real.test_swarm_service import MOORAGE

    return MOORAGE


@pytest.fixture(scope="module")
def moorage(k8s_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    extra = "[kubernetes]\nhealth_polling_interval = 3\n"
    with serve(tmp_path_factory.mktemp("k8s-service"), extra_config=extra, fake=False) as live:
        client = Client(live)
        for name, backend in (("k8s", "vxlan"), ("k8s-hostgw", "host-gw")):
            client.run(
                "template", "create", name, "--coe", "kubernetes", "--image", "moorage-k8s-node",
                "--external-network", "public", "--flavor", "m1.small", "--master-flavor",
                "m1.small", "--labels", f"flannel_backend={backend}",
            )  # fmt: skip
        yield client


def kube(moorage: Client, name: str, directory: Path) -> Kubectl:
    directory.mkdir(parents=True, exist_ok=True)
    done = moorage.run("cluster", "config", name, "--dir", str(directory), "--force")
    assert done.stdout.strip() == f"export KUBECONFIG={directory / 'config'}"
    return Kubectl(directory / "config")


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
         nodeTaintsPolicy: Honor, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: web
        image: IMAGE
        imagePullPolicy: Never
        command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && echo serving && exec httpd -f -p 80 -h /www"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
"""


def pods(kubectl: Kubectl) -> list[dict[str, Any]]:
    return [
        p for p in kubectl.json("get", "pods", "-l", "app=web")["items"] if p["status"].get("podIP")
    ]


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=3) as answer:
        return str(answer.read().decode()).strip()


def test_a_cluster_its_workload_and_its_lifecycle(
    moorage: Client, docker_host: docker.DockerClient, workload_image: str, tmp_path: Path
) -> None:
    moorage.run(
        "cluster", "create", "kube", "--cluster-template", "k8s", "--node-count", "2",
        "--labels", "auto_healing_enabled=true", "--merge-labels", "--wait", "--poll-interval", "1",
    )  # fmt: skip
    cluster = moorage.cluster("kube")
    uuid = cluster["uuid"]
    try:
        assert cluster["status"] == "CREATE_COMPLETE", cluster["status_reason"]
        assert cluster["api_address"].startswith("https://127.0.0.1:")
        assert cluster["coe_version"] == KUBE_VERSION
        history = httpx.get(
            f"{moorage.url}/v1/clusters/{uuid}/events", headers=HEADERS, timeout=30
        ).json()["events"]
        assert [e["step"] for e in history][::-1] == CREATE_STEPS
        assert {(e["operation"], e["total"], e["outcome"]) for e in history} == {
            ("cluster_create", len(CREATE_STEPS), "success")
        }
        kubectl = kube(moorage, "kube", tmp_path / "kube")
        assert len(kubectl.ready_nodes()) == 3
        version = kubectl.json("version")
        assert version["serverVersion"]["gitVersion"] == KUBE_VERSION

        loaded = moorage.json("cluster", "load-image", "kube", workload_image)
        assert len(loaded["nodes"]) == 3
        kubectl("apply", "-f", "-", stdin=WEB.replace("IMAGE", workload_image))
        kubectl("rollout", "status", "deployment/web", "--timeout=120s")
        running = pods(kubectl)
        assert len({p["spec"]["nodeName"] for p in running}) == 2  # both workers
        first, far = (
            running[0],
            next(p for p in running if p["spec"]["nodeName"] != running[0]["spec"]["nodeName"]),
        )
        # pod to pod across nodes (flannel vxlan), by the other pod's address
        name = kubectl("exec", first["metadata"]["name"], "--", "wget", "-qO-",
                       f"http://{far['status']['podIP']}/")  # fmt: skip
        assert name.strip() == far["metadata"]["name"]
        # a ClusterIP Service by its DNS name (CoreDNS)
        answers = {
            kubectl(
                "exec",
                first["metadata"]["name"],
                "--",
                "wget",
                "-qO-",
                "http://web.default.svc.cluster.local/",
            ).strip()
            for _ in range(12)
        }
        assert answers <= {p["metadata"]["name"] for p in running} and len(answers) >= 2
        # the NodePort from the host, on a worker's address
        worker_ip = cluster["node_addresses"][0]
        assert eventually(lambda: http_get(f"http://{worker_ip}:30080/"), what="NodePort") in {
            p["metadata"]["name"] for p in running
        }
        assert "serving" in kubectl("logs", first["metadata"]["name"])

        # Magnum's own client: the cluster as it sees it, and the kubeconfig it writes
        magnum = Coe(OPENSTACK, tmp_path, f"{moorage.url}/v1", ["--os-auth-type", "none"])
        shown = magnum.ok("cluster", "show", "kube", "-f", "json").json()
        assert (shown["coe_version"], shown["health_status"] in ("HEALTHY", None)) == (
            KUBE_VERSION,
            True,
        )
        (tmp_path / "magnum").mkdir()
        magnum.ok("cluster", "config", "kube", "--dir", str(tmp_path / "magnum"))
        assert len(Kubectl(tmp_path / "magnum" / "config").ready_nodes()) == 3

        # an extra node group with its own flavor and labels
        magnum.ok(
            "nodegroup", "create", "kube", "extra", "--node-count", "1", "--flavor", "m1.tiny",
            "--labels", "tier=batch",
        )  # fmt: skip
        assert magnum.nodegroup_settled("kube", "extra")["status"] == "CREATE_COMPLETE"
        (extra,) = kubectl.json("get", "nodes", "-l", "magnum.openstack.org/nodegroup=extra")[
            "items"
        ]
        assert extra["metadata"]["labels"]["magnum.openstack.org/role"] == "worker"
        container = docker_host.containers.get(extra["metadata"]["name"])
        assert container.attrs["HostConfig"]["Memory"] == 512 * 1024 * 1024  # m1.tiny
        assert len(kubectl.ready_nodes()) == 4
        magnum.ok("nodegroup", "delete", "kube", "extra")
        eventually(
            lambda: len(kubectl.json("get", "nodes")["items"]) == 3, what="node group deleted"
        )

        # grow, then shrink naming the node that goes: drained first, Node object removed
        moorage.run("cluster", "resize", "kube", "3", "--wait", "--poll-interval", "1")
        assert len(kubectl.ready_nodes()) == 4
        # a node added later does not have the images loaded before: load them again
        assert len(moorage.json("cluster", "load-image", "kube", workload_image)["nodes"]) == 4
        doomed = sorted(n for n in kubectl.ready_nodes() if "worker" in n)[0]
        moorage.run(
            "cluster", "resize", "kube", "2", "--nodes-to-remove", doomed, "--wait",
            "--poll-interval", "1",
        )  # fmt: skip
        names = [n["metadata"]["name"] for n in kubectl.json("get", "nodes")["items"]]
        assert doomed not in names and len(names) == 3
        assert doomed not in owned(docker_host, uuid)["containers"]
        kubectl("rollout", "status", "deployment/web", "--timeout=120s")

        # health from /readyz and each node's Ready condition (a poll after the resize)
        expected = {"api": "ok", **{f"{n}.Ready": "True" for n in names}}

        def polled() -> bool:
            shown = moorage.cluster("kube")
            return shown["health_status"] == "HEALTHY" and shown["health_status_reason"] == expected

        eventually(polled, what="HEALTHY with every node Ready")

        # CA rotation: the old credentials are refused, new ones from the new CA work
        moorage.run("ca", "rotate", "kube")
        eventually(
            lambda: moorage.cluster("kube")["status"] == "UPDATE_COMPLETE",
            timeout=300,
            what="CA rotated",
        )
        rotated = kube(moorage, "kube", tmp_path / "rotated")
        assert len(rotated.ready_nodes()) == 3
        # the old client certificate, shown to a server the client now trusts: refused
        old, new = (
            yaml.safe_load((tmp_path / d / "config").read_text()) for d in ("kube", "rotated")
        )
        old["clusters"] = new["clusters"]
        (tmp_path / "old-client").write_text(yaml.safe_dump(old))
        done = subprocess.run(
            [kubectl.binary, "--kubeconfig", str(tmp_path / "old-client"), "get", "nodes"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode != 0, done.stdout
        assert "the server has asked for the client to provide credentials" in done.stderr

        # a worker removed behind Moorage's back: UNHEALTHY, then healed (auto_healing_enabled)
        victim = sorted(n for n in rotated.ready_nodes() if "worker" in n)[0]
        docker_host.containers.get(victim).remove(force=True)
        sick = eventually(
            lambda: (
                moorage.cluster("kube")["health_status"] == "UNHEALTHY" and moorage.cluster("kube")
            ),
            what="UNHEALTHY",
        )
        assert sick["health_status_reason"][f"{victim}.Ready"] == "False"
        assert sick["health_status_reason"]["default-worker.nodes"] == "1 of 2 nodes exist"
        eventually(
            lambda: moorage.cluster("kube")["health_status"] == "HEALTHY",
            timeout=300,
            what="healed",
        )
        assert len(rotated.ready_nodes()) == 3
        rotated("rollout", "status", "deployment/web", "--timeout=120s")
    finally:
        moorage.run("cluster", "delete", "kube", "--wait", "--poll-interval", "1", ok=False)
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}


def test_pods_reach_each_other_across_nodes_with_host_gw(
    moorage: Client, docker_host: docker.DockerClient, workload_image: str, tmp_path: Path
) -> None:
    moorage.run(
        "cluster", "create", "hostgw", "--cluster-template", "k8s-hostgw", "--node-count", "2",
        "--wait", "--poll-interval", "1",
    )  # fmt: skip
    uuid = moorage.cluster("hostgw")["uuid"]
    try:
        kubectl = kube(moorage, "hostgw", tmp_path / "hostgw")
        moorage.json("cluster", "load-image", "hostgw", workload_image)
        kubectl("apply", "-f", "-", stdin=WEB.replace("IMAGE", workload_image))
        kubectl("rollout", "status", "deployment/web", "--timeout=120s")
        running = pods(kubectl)
        here = running[0]
        there = [p for p in running if p["spec"]["nodeName"] != here["spec"]["nodeName"]]
        assert there, "the pods did not spread over both workers"
        for other in there:
            answer = kubectl("exec", here["metadata"]["name"], "--", "wget", "-qO-",
                             f"http://{other['status']['podIP']}/")  # fmt: skip
            assert answer.strip() == other["metadata"]["name"]
        # host-gw: plain routes to the other nodes' pod subnets, no VXLAN device
        worker = here["spec"]["nodeName"]
        routes = docker_host.containers.get(worker).exec_run(["ip", "route"]).output.decode()
        assert "flannel.1" not in routes
        assert any(r.startswith("10.100.") and " via 192." in r for r in routes.splitlines())
    finally:
        moorage.run("cluster", "delete", "hostgw", "--wait", "--poll-interval", "1", ok=False)
    assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
