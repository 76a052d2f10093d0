"""What a tenant can do to the host kernel from a workload container inside a node.

Two one-node clusters are made with the real driver. The tenant holds cluster A's
Docker API (what ``moorage cluster config`` gives) and starts workloads on its node
asking for the most they can: an extra capability, no seccomp profile of their own,
the node's network. Reading the kernel log, loading a module and setting the clock
must be refused for lack of permission (not because this kernel happens to have no
modules), and nothing of cluster B may be visible or reachable.

Nothing here changes the host when the nodes are confined as intended. Where a
check could change the host on a node that is not (the clock), it first tries a
change that is a no-op (setting the tick to its current value) and stops there.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import docker
import pytest

from moorage.certs.authority import KeyPair, generate_ca
from moorage.drivers import dockerapi
from moorage.drivers.base import ClusterResult, ClusterSpec
from moorage.drivers.providers.docker import confinement, image
from moorage.drivers.providers.docker.labels import CLUSTER
from moorage.drivers.swarm_docker.driver import SwarmDockerDriver
from tests.real.test_swarm_driver import Steps, make_spec, tls_client

pytestmark = pytest.mark.real


@dataclass(frozen=True)
class Outcome:
    """How a tenant's workload ended: its exit code (None: the engine refused to start
    it) and what it printed or the engine answered."""

    code: int | None
    text: str

    @property
    def denied(self) -> bool:
        """Refused for lack of permission: a capability the node cannot grant, or EPERM."""
        if self.code is None:
            return "unable to apply caps" in self.text
        return "Operation not permitted" in self.text


@dataclass
class Tenant:
    client: docker.DockerClient
    image: str

    def run(self, script: str, caps: list[str]) -> Outcome:
        """``script`` in a workload on the node's network with ``caps`` added and seccomp
        unconfined, as anyone with the cluster's Docker API may ask."""
        try:
            container = self.client.containers.run(
                self.image,
                ["sh", "-c", script],
                cap_add=caps,
                security_opt=["seccomp=unconfined"],
                network_mode="host",
                detach=True,
            )
        except docker.errors.APIError as exc:
            return Outcome(None, dockerapi.message(exc))
        try:
            code = int(container.wait(timeout=60)["StatusCode"])
            return Outcome(code, container.logs().decode(errors="replace"))
        finally:
            container.remove(force=True)


@dataclass
class Made:
    spec: ClusterSpec
    result: ClusterResult

    @property
    def ip(self) -> str:
        return self.result.node_addresses["default-master"][0]


@pytest.fixture(scope="module")
def clusters(
    docker_host: docker.DockerClient, node_image: str
) -> Iterator[tuple[Made, Made, KeyPair]]:
    driver, ca = SwarmDockerDriver(), generate_ca("isolation test")
    specs = [make_spec(ca, name, workers=0) for name in ("iso-a", "iso-b")]
    try:
        made = [Made(spec, driver.create_cluster(spec, Steps())) for spec in specs]
        yield made[0], made[1], ca
    finally:
        for spec in specs:
            driver.delete_cluster(spec, Steps())


@pytest.fixture(scope="module")
def tenant(
    clusters: tuple[Made, Made, KeyPair],
    docker_host: docker.DockerClient,
    workload_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Tenant]:
    a, _, ca = clusters
    assert a.result.api_address
    tmp: pathlib.Path = tmp_path_factory.mktemp("tenant")
    client = tls_client(tmp, ca, a.result.api_address)
    image.copy_image(docker_host, client, workload_image)
    yield Tenant(client, workload_image)
    client.close()


def test_nodes_drop_host_capabilities_and_run_under_the_node_profile(
    clusters: tuple[Made, Made, KeyPair], docker_host: docker.DockerClient
) -> None:
    a, _, _ = clusters
    (container,) = docker_host.containers.list(filters={"label": f"{CLUSTER}={a.spec.uuid}"})
    host_config = container.attrs["HostConfig"]
    assert not host_config.get("Privileged")
    assert set(confinement.DROPPED_CAPABILITIES) <= {
        c.removeprefix("CAP_") for c in host_config["CapDrop"]
    }
    (seccomp,) = [o for o in host_config["SecurityOpt"] if o.startswith("seccomp=")]
    assert '"init_module"' in seccomp and "unconfined" not in seccomp
    devices = container.exec_run(["ls", "/dev"]).output.decode()
    assert "kmsg" not in devices.split()


def test_the_kernel_log_cannot_be_read(tenant: Tenant) -> None:
    for caps in (["SYSLOG"], ["SYS_ADMIN"]):
        outcome = tenant.run("dmesg | tail -n 3", caps)
        assert outcome.denied, (caps, outcome)


def test_the_kernel_log_device_cannot_be_opened(tenant: Tenant) -> None:
    outcome = tenant.run(
        "test ! -e /dev/kmsg && mknod /tmp/kmsg c 1 11 && head -c 200 /tmp/kmsg",
        ["MKNOD", "SYS_ADMIN"],
    )
    assert outcome.denied, outcome


def test_kernel_modules_cannot_be_loaded(tenant: Tenant) -> None:
    # A bogus module: init_module is refused before the kernel reads it. A kernel
    # without module support answers ENOSYS instead, which would not show a refusal.
    script = "echo not-a-module > /tmp/m.ko && insmod /tmp/m.ko"
    for caps in (["SYS_MODULE"], ["SYS_ADMIN"]):
        outcome = tenant.run(script, caps)
        assert outcome.denied, (caps, outcome)


def test_the_clock_cannot_be_set(tenant: Tenant) -> None:
    script = (
        "tick=$(adjtimex | awk '/tick:/ {print $3}'); "
        'if adjtimex -t "$tick" >/dev/null; then echo clock is settable; exit 0; fi; '
        'date -s "@$(date +%s)"'  # busybox date reports the failure but exits 0
    )
    for caps in (["SYS_TIME"], ["SYS_ADMIN"]):
        outcome = tenant.run(script, caps)
        assert outcome.denied and "settable" not in outcome.text, (caps, outcome)


def test_another_cluster_is_neither_visible_nor_reachable(
    clusters: tuple[Made, Made, KeyPair], tenant: Tenant, docker_host: docker.DockerClient
) -> None:
    _, b, _ = clusters
    (network,) = docker_host.networks.list(filters={"label": f"{CLUSTER}={b.spec.uuid}"})
    bridge = f"br-{network.id[:12]}"
    seen = tenant.run("cat /proc/net/dev; ip -o addr", ["NET_ADMIN", "NET_RAW"])
    assert seen.code == 0 and "eth0" in seen.text, seen  # it ran on the node's own network
    assert bridge not in seen.text and b.ip not in seen.text, seen
    reach = tenant.run(
        f"if nc -z -w 2 {b.ip} 2375; then echo REACHED; fi; "
        f"if ping -c 1 -W 2 {b.ip} >/dev/null 2>&1; then echo REACHED; fi",
        ["NET_ADMIN", "NET_RAW"],
    )
    assert reach.code == 0 and "REACHED" not in reach.text, reach
