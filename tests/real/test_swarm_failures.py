"""Failure injection and concurrency for the swarm-mode driver on the real local engine.

Each failure is injected at the step where it would happen for real: a host port
taken by another process (before the driver chooses it, between its choice and
the node's start, every time, and for a manager recreated on its own port), and
a node's engine killed while it joins the swarm. Every failure must end in a
``DriverError`` a person can act on (which node, which port, what failed), and
``delete_cluster`` must then leave nothing. The missing node image is covered in
test_swarm_driver.py.

Serialised node operations on one cluster are the conductor's lease, tested in
tests/db/test_backends.py (test_lease_is_exclusive_and_expires); not repeated here.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker
import pytest

from moorage.certs.authority import KeyPair, generate_ca
from moorage.drivers.base import ClusterSpec
from moorage.drivers.nodes import layout, provision
from moorage.drivers.providers.docker import node, ports
from moorage.drivers.providers.docker import provider as docker_provider
from moorage.drivers.providers.docker.labels import CLUSTER
from moorage.drivers.swarm_docker import joining
from moorage.drivers.swarm_docker.driver import SwarmDockerDriver
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError
from tests.real.test_swarm_driver import Steps, leftovers, make_spec

pytestmark = pytest.mark.real


@dataclass
class Env:
    host: docker.DockerClient
    driver: SwarmDockerDriver
    ca: KeyPair
    node_image: str
    sockets: list[socket.socket] = field(default_factory=list)

    def hold(self, port: int) -> None:
        """Listen on 127.0.0.1:``port`` as another process would."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        self.sockets.append(sock)

    def spec(self, name: str, workers: int = 0) -> ClusterSpec:
        return make_spec(self.ca, name, workers=workers)

    @contextlib.contextmanager
    def deleted_after(self, *specs: ClusterSpec) -> Iterator[None]:
        """Delete the clusters however the block ends, and check nothing is left."""
        try:
            yield
        finally:
            for spec in specs:
                self.driver.delete_cluster(spec, Steps())
        assert [leftovers(self.host, spec.uuid) for spec in specs] == [[] for _ in specs]


@pytest.fixture(scope="module")
def ca() -> KeyPair:
    return generate_ca("moorage failure tests")


@pytest.fixture
def env(docker_host: docker.DockerClient, node_image: str, ca: KeyPair) -> Iterator[Env]:
    found = Env(docker_host, SwarmDockerDriver(), ca, node_image)
    yield found
    for sock in found.sockets:
        sock.close()


def next_port(host: docker.DockerClient) -> int:
    """The port the allocator would hand out next."""
    with ports.allocation(host) as allocator:
        return allocator.take()


def grab_chosen_ports(env: Env, monkeypatch: pytest.MonkeyPatch, every: bool) -> list[int]:
    """Another process binds the port the allocator chose right after it checked it (the
    first time only, or ``every`` time); returns the ports grabbed so far."""
    real_take = ports.Allocator.take
    grabbed: list[int] = []

    def take(self: ports.Allocator) -> int:
        port = real_take(self)
        if every or not grabbed:
            env.hold(port)
            grabbed.append(port)
        return port

    monkeypatch.setattr(ports.Allocator, "take", take)
    return grabbed


def api_port(address: str | None) -> int:
    assert address and address.startswith("tcp://127.0.0.1:")
    return int(address.rsplit(":", 1)[1])


def containers(host: docker.DockerClient, cluster_uuid: str) -> list[str]:
    label: dict[str, str | list[str] | bool] = {"label": f"{CLUSTER}={cluster_uuid}"}
    return sorted(str(c.name) for c in host.containers.list(all=True, filters=label))


def assert_healthy(driver: SwarmDockerDriver, spec: ClusterSpec) -> None:
    report = driver.poll_health(spec)
    assert report is not None and report.status == "HEALTHY", (spec.name, report)


def first_manager(spec: ClusterSpec) -> str:
    return f"{layout.node_prefix(spec, spec.nodegroup('default-master'))}0"


class TestHostPortTaken:
    def test_a_port_held_before_the_choice_is_skipped(self, env: Env) -> None:
        taken = next_port(env.host)
        env.hold(taken)
        spec = env.spec("port-held")
        with env.deleted_after(spec):
            result = env.driver.create_cluster(spec, Steps())
            assert api_port(result.api_address) != taken

    def test_a_port_taken_between_the_choice_and_the_start_is_replaced(
        self, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The node's start fails on the port; the driver moves the node to the next one."""
        grabbed = grab_chosen_ports(env, monkeypatch, every=False)
        spec = env.spec("port-race", workers=1)
        with env.deleted_after(spec):
            result = env.driver.create_cluster(spec, Steps())
            assert grabbed and api_port(result.api_address) != grabbed[0]
            assert len(containers(env.host, spec.uuid)) == 2  # the failed start left nothing
            assert_healthy(env.driver, spec)

    def test_when_every_chosen_port_is_taken_the_error_names_them(
        self, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        grabbed = grab_chosen_ports(env, monkeypatch, every=True)
        spec = env.spec("port-never")
        with env.deleted_after(spec):
            with pytest.raises(DriverError) as caught:
                env.driver.create_cluster(spec, Steps())
            text = str(caught.value)
            assert f"publish the API of node {first_manager(spec)}" in text
            assert len(grabbed) == docker_provider.PORT_ATTEMPTS
            assert all(str(port) in text for port in grabbed)
            assert "all taken by other processes" in text
            assert containers(env.host, spec.uuid) == []  # every failed start was removed

    def test_when_the_whole_range_is_taken_the_error_says_so(
        self, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        port = next_port(env.host)
        env.hold(port)
        monkeypatch.setattr(ports, "PORT_RANGE", range(port, port + 1))
        spec = env.spec("port-range")
        with env.deleted_after(spec):
            with pytest.raises(DriverError) as caught:
                env.driver.create_cluster(spec, Steps())
            text = str(caught.value)
            assert f"every port in {port}-{port} is taken" in text
            assert "delete unused clusters or free ports" in text

    def test_a_recreated_manager_whose_port_is_taken_says_which_port(self, env: Env) -> None:
        """A manager that is recreated (upgrade, CA rotation) keeps its port, which is the
        cluster's api_address: when another process took it meanwhile, the error names
        the node and the port."""
        spec = env.spec("port-kept")
        group = spec.nodegroup("default-master")
        with env.deleted_after(spec):
            port = api_port(env.driver.create_cluster(spec, Steps()).api_address)
            with Session(spec) as session:
                (old,) = session.nodes(group.name)
                node.remove(env.host, old.name, keep_volume=True)
                env.hold(port)
                with pytest.raises(node.PortTaken) as caught:
                    provision.replace_node(session, group, old, env.node_image)
            text = str(caught.value)
            assert f"start node container {old.name}" in text
            assert f"host port 127.0.0.1:{port} is taken by another process" in text


def kill_engine(host: docker.DockerClient, name: str) -> None:
    """Kill the dockerd inside a node container. Its restart policy is switched off
    first: otherwise the host engine restarts the node and a race decides whether the
    join fails."""
    no_restart: Any = {"Name": "no"}  # the stubs know only "always" and "on-failure"
    host.api.update_container(name, restart_policy=no_restart)
    container = host.containers.get(name)
    container.exec_run(["sh", "-c", "kill -9 $(pidof dockerd)"])
    deadline = time.monotonic() + 30
    while container.status == "running":
        assert time.monotonic() < deadline, f"{name} still running after its dockerd was killed"
        time.sleep(0.1)
        container.reload()


def test_a_node_engine_killed_during_join_fails_naming_the_node_and_step(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_join = joining._join
    killed: list[str] = []

    def join(session: Session, target: node.Node, manager: node.Node, token: str) -> None:
        if target.role != layout.MASTER_ROLE and not killed:
            killed.append(target.name)
            kill_engine(env.host, target.name)
        real_join(session, target, manager, token)

    monkeypatch.setattr(joining, "_join", join)
    spec = env.spec("killed", workers=1)
    with env.deleted_after(spec):
        started = time.monotonic()
        with pytest.raises(DriverError) as caught:
            env.driver.create_cluster(spec, Steps())
        text = str(caught.value)
        assert killed
        assert f"join node {killed[0]} to the swarm" in text
        assert f"node container {killed[0]} is exited (exit code 137)" in text
        assert time.monotonic() - started < 30  # said at once, not after a client timeout


def test_three_clusters_created_at_once_get_their_own_networks_and_ports(env: Env) -> None:
    specs = [env.spec(f"trio{i}") for i in range(3)]
    with env.deleted_after(*specs):
        with concurrent.futures.ThreadPoolExecutor(len(specs)) as pool:
            results = list(pool.map(lambda spec: env.driver.create_cluster(spec, Steps()), specs))
        assert len({api_port(r.api_address) for r in results}) == 3
        networks = [env.host.networks.get(spec.uuid) for spec in specs]
        assert len({n.attrs["IPAM"]["Config"][0]["Subnet"] for n in networks}) == 3
        for spec in specs:
            assert_healthy(env.driver, spec)
