"""Failures of a Kubernetes create, each at the step where it happens for real, on the
real local engine: the node image of a version that was never built, a worker node
removed as it is about to join, the master removed as the add-ons go on. Every failure
must be a ``DriverError`` naming what failed and where, and ``delete_cluster`` must
then leave nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import docker
import docker.errors
import pytest

from moorage.certs.authority import generate_ca
from moorage.drivers.base import CaBundle, ClusterSpec, NodeGroupSpec, TemplateSpec
from moorage.drivers.kubernetes.driver import KubernetesDriver
from moorage.drivers.providers.docker.provider import DockerProvider
from moorage.exceptions import DriverError
from tests.real.test_swarm_driver import leftovers

pytestmark = pytest.mark.real


class FailAt:
    """A Progress that does something real to the cluster when a named step starts."""

    def __init__(self, step: str, act: Callable[[], None]) -> None:
        self.wanted, self.act, self.names = step, act, []

    def step(self, name: str) -> None:
        self.names.append(name)
        if name == self.wanted:
            self.act()


def spec(name: str, labels: dict[str, str] | None = None) -> ClusterSpec:
    ca = generate_ca(name)
    template = TemplateSpec(
        "t", name, "kubernetes", "vm", "debian", "moorage-k8s-node", labels=labels or {}
    )
    groups = [
        NodeGroupSpec(
            str(uuid.uuid4()), "default-master", "master", 1, None, None, is_default=True
        ),
        NodeGroupSpec(
            str(uuid.uuid4()), "default-worker", "worker", 1, None, None, is_default=True
        ),
    ]
    return ClusterSpec(
        str(uuid.uuid4()), name, "p", template, groups, CaBundle(ca.cert_pem, ca.key_pem)
    )


def node(host: docker.DockerClient, cluster: ClusterSpec, role: str) -> str:
    return f"{cluster.name}-{cluster.uuid.replace('-', '')[:8]}-default-{role}-0"


@pytest.fixture
def driver(docker_host: docker.DockerClient) -> KubernetesDriver:
    return KubernetesDriver(DockerProvider())


def fails(
    driver: KubernetesDriver, host: docker.DockerClient, cluster: ClusterSpec, progress: FailAt
) -> str:
    try:
        with pytest.raises(DriverError) as raised:
            driver.create_cluster(cluster, progress)
        return str(raised.value)
    finally:
        driver.delete_cluster(cluster, FailAt("", lambda: None))
        assert leftovers(host, cluster.uuid) == []


def test_a_version_never_built(driver: KubernetesDriver, docker_host: docker.DockerClient) -> None:
    cluster = spec("k8s-nobuild", {"kube_tag": "v1.30.99"})
    message = fails(driver, docker_host, cluster, FailAt("", lambda: None))
    assert message == (
        "node image moorage-k8s-node:v1.30.99 not found on the local Docker engine (build it "
        "with `moorage image build --coe kubernetes --kube-tag v1.30.99`; there is no "
        "registry to pull from)"
    )


def test_a_worker_removed_as_it_joins(
    driver: KubernetesDriver, docker_host: docker.DockerClient
) -> None:
    cluster = spec("k8s-nojoin")
    worker = node(docker_host, cluster, "worker")
    progress = FailAt(
        "joining nodes to the cluster",
        lambda: docker_host.containers.get(worker).remove(force=True),
    )
    message = fails(driver, docker_host, cluster, progress)
    assert progress.names[-1] == "joining nodes to the cluster"
    assert message == (
        f"join node group default-worker: {worker} not running (0 of 1 nodes are)"
    ), message


def test_the_master_removed_before_the_add_ons(
    driver: KubernetesDriver, docker_host: docker.DockerClient
) -> None:
    cluster = spec("k8s-nomaster")
    master = node(docker_host, cluster, "master")
    progress = FailAt(
        "applying the pod network and DNS",
        lambda: docker_host.containers.get(master).remove(force=True),
    )
    message = fails(driver, docker_host, cluster, progress)
    assert progress.names[-1] == "applying the pod network and DNS"
    assert message.startswith(f"cluster {cluster.uuid}: no running master node"), message
