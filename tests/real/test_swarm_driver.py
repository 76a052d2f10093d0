"""The swarm-mode driver against the real local Docker engine, driven directly (no API).

One cluster (1 manager + 2 workers) is created for the module and used by the
tests in order: reach it over TLS with a client certificate from the cluster CA,
run a service published in host mode and reach it from the host, resize, watch
health, delete. A second cluster fails on purpose half way and is cleaned up.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import pathlib
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import docker
import pytest
import requests
from docker.types import EndpointSpec, IPAMConfig, IPAMPool, ServiceMode

from moorage import exceptions
from moorage.certs.authority import KeyPair, generate_ca, issue_client_cert
from moorage.drivers import dockerapi
from moorage.drivers.base import (
    CaBundle,
    ClusterResult,
    ClusterSpec,
    Flavor,
    NodeGroupSpec,
    TemplateSpec,
)
from moorage.drivers.nodes import layout
from moorage.drivers.providers.docker import image
from moorage.drivers.providers.docker.labels import CLUSTER
from moorage.drivers.providers.docker.node import Node
from moorage.drivers.swarm_docker.driver import SwarmDockerDriver
from moorage.exceptions import DriverError

pytestmark = pytest.mark.real

FLAVOR = Flavor("m1.small", 1, 1024, 10)
WEB_PORT = 18080
T = TypeVar("T")


class Steps:
    """A Progress that remembers the steps it was told."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def step(self, name: str) -> None:
        self.names.append(name)


def make_spec(
    ca: KeyPair | None,
    name: str,
    workers: int,
    worker_labels: dict[str, str] | None = None,
    masters: int = 1,
) -> ClusterSpec:
    template = TemplateSpec(
        uuid=str(uuid.uuid4()),
        name="swarm-template",
        coe="swarm-mode",
        server_type="vm",
        cluster_distro="debian",
        image_id="moorage-node",
        labels={"docker_volume_size": "5"},
        tls_disabled=ca is None,
    )
    groups = [
        NodeGroupSpec(
            str(uuid.uuid4()),
            "default-master",
            "master",
            masters,
            "moorage-node",
            FLAVOR,
            is_default=True,
        ),
        NodeGroupSpec(
            str(uuid.uuid4()),
            "default-worker",
            "worker",
            workers,
            "moorage-node",
            FLAVOR,
            labels=worker_labels or {},
            is_default=True,
        ),
    ]
    return ClusterSpec(
        uuid=str(uuid.uuid4()),
        name=name,
        project_id="test",
        template=template,
        nodegroups=groups,
        ca=CaBundle(ca.cert_pem, ca.key_pem) if ca else None,
    )


def leftovers(host: docker.DockerClient, cluster_uuid: str) -> list[str]:
    label: dict[str, str | list[str] | bool] = {"label": f"{CLUSTER}={cluster_uuid}"}
    found = [f"container {c.name}" for c in host.containers.list(all=True, filters=label)]
    found += [f"network {n.name}" for n in host.networks.list(filters=label)]
    found += [f"volume {v.name}" for v in host.volumes.list(filters=label)]
    return found


def tls_client(tmp: pathlib.Path, ca: KeyPair, address: str) -> docker.DockerClient:
    """A plain Docker SDK client with a certificate from the cluster CA, as a user has."""
    pair = issue_client_cert(ca, "tester")
    for name, text in (
        ("ca.pem", ca.cert_pem),
        ("cert.pem", pair.cert_pem),
        ("key.pem", pair.key_pem),
    ):
        (tmp / name).write_text(text)
    tls = docker.tls.TLSConfig(
        client_cert=(str(tmp / "cert.pem"), str(tmp / "key.pem")),
        ca_cert=str(tmp / "ca.pem"),
        verify=True,
    )
    client = docker.DockerClient(
        base_url=address.replace("tcp://", "https://"), tls=tls, version="1.41"
    )
    client.api.trust_env = False  # the cluster CA, not $REQUESTS_CA_BUNDLE; no proxies
    return client


def ready_hostnames(client: docker.DockerClient) -> list[str]:
    return sorted(
        n.attrs["Description"]["Hostname"]
        for n in client.nodes.list()
        if n.attrs["Status"]["State"] == "ready"
    )


def http_get(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=3) as response:
        return str(response.read().decode())


def eventually(check: Callable[[], T], timeout: float = 60.0) -> T:
    """Poll until ``check`` returns something true (errors count as not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check}")
        time.sleep(0.5)


@dataclass
class Cluster:
    spec: ClusterSpec
    result: ClusterResult
    client: docker.DockerClient
    ca: KeyPair
    tmp: pathlib.Path

    @property
    def workers(self) -> NodeGroupSpec:
        return self.spec.nodegroup("default-worker")

    def node_client(self, ip: str) -> docker.DockerClient:
        return tls_client(self.tmp, self.ca, f"tcp://{ip}:2375")


@pytest.fixture(scope="module")
def driver() -> SwarmDockerDriver:
    return SwarmDockerDriver()


@pytest.fixture(scope="module")
def ca() -> KeyPair:
    return generate_ca("moorage test cluster")


@pytest.fixture(scope="module")
def upgrade_image(docker_host: docker.DockerClient, node_image: str) -> Iterator[str]:
    """A second node image (same binaries, another image id) to upgrade to. The cluster
    fixture depends on it, so that it is removed only after the cluster is gone."""
    # a tag of this run's own: test runs may overlap on one engine (a CI clone, a developer)
    ref = image.build(
        f"moorage-node:upgrade-{uuid.uuid4().hex[:8]}", force=True, client=docker_host
    )
    yield ref
    docker_host.images.remove(ref, force=True)


@pytest.fixture(scope="module")
def cluster(
    docker_host: docker.DockerClient,
    node_image: str,
    driver: SwarmDockerDriver,
    ca: KeyPair,
    tmp_path_factory: pytest.TempPathFactory,
    upgrade_image: str,
) -> Iterator[Cluster]:
    spec = make_spec(ca, "real", workers=2)
    steps = Steps()
    try:
        result = driver.create_cluster(spec, steps)
        assert result.api_address
        tmp = tmp_path_factory.mktemp("tls")
        client = tls_client(tmp, ca, result.api_address)
        yield Cluster(spec, result, client, ca, tmp)
        client.close()
    finally:
        driver.delete_cluster(spec, Steps())  # idempotent: safe after the delete test


class TestLifecycle:
    def test_create_reports_addresses_and_versions(
        self, cluster: Cluster, docker_host: docker.DockerClient
    ) -> None:
        result = cluster.result
        assert result.api_address and result.api_address.startswith("tcp://127.0.0.1:")
        assert len(result.node_addresses["default-master"]) == 1
        assert len(result.node_addresses["default-worker"]) == 2
        assert result.coe_version == docker_host.version()["Version"]  # node image = host binaries
        assert result.container_version == result.coe_version
        # each node by its name (= its swarm hostname), container id and swarm node id
        swarm_ids = {n.attrs["Description"]["Hostname"]: n.id for n in cluster.client.nodes.list()}
        recorded = {r.name: r.ids for records in result.nodes.values() for r in records}
        assert recorded == {
            name: (docker_host.containers.get(name).id, swarm_id)
            for name, swarm_id in swarm_ids.items()
        }
        for group, records in result.nodes.items():
            assert [r.address for r in records] == result.node_addresses[group]

    def test_tls_client_sees_ready_swarm(self, cluster: Cluster) -> None:
        assert len(ready_hostnames(cluster.client)) == 3
        assert cluster.client.info()["Swarm"]["ControlAvailable"] is True

    def test_nodes_are_labelled_limited_and_under_init(
        self, cluster: Cluster, docker_host: docker.DockerClient
    ) -> None:
        found = docker_host.containers.list(filters={"label": f"{CLUSTER}={cluster.spec.uuid}"})
        assert len(found) == 3
        for container in found:
            labels = container.labels
            assert labels["moorage.role"] in ("master", "worker")
            assert labels["moorage.nodegroup"] in ("default-master", "default-worker")
            host_config = container.attrs["HostConfig"]
            assert host_config["Memory"] == FLAVOR.memory_mb * 1024 * 1024
            assert host_config["NanoCpus"] == FLAVOR.cpus * 10**9
            assert container.attrs["Path"].endswith("tini-static")
            mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
            assert mounts["/var/lib/docker"]["Type"] == "volume"
            # no way out: DNS points at nothing, and the swarm agent never pulls
            output = container.exec_run(["cat", "/etc/resolv.conf"]).output
            resolv = output.decode() if isinstance(output, bytes) else ""
            assert "nameserver 127.0.0.1" in resolv and resolv.count("nameserver") == 1
            assert "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1" in container.attrs["Config"]["Env"]

    def test_api_refuses_a_client_without_certificate(self, cluster: Cluster) -> None:
        assert cluster.result.api_address
        plain = docker.DockerClient(base_url=cluster.result.api_address, version="1.41", timeout=5)
        with pytest.raises(docker.errors.DockerException):
            plain.ping()

    def test_service_published_in_host_mode_is_reachable(
        self, cluster: Cluster, docker_host: docker.DockerClient, workload_image: str
    ) -> None:
        addresses = [a for group in cluster.result.node_addresses.values() for a in group]
        for ip in addresses:  # no registry: load the image into every node
            image.copy_image(docker_host, cluster.node_client(ip), workload_image)
        published: dict[Any, Any] = {WEB_PORT: (80, "tcp", "host")}  # (the stubs want str keys)
        cluster.client.services.create(
            workload_image,
            command=[
                "sh",
                "-c",
                "mkdir -p /www && echo hello from $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www",
            ],
            name="web",
            mode=ServiceMode("replicated", replicas=3),
            maxreplicas=1,
            # no IPVS here: no routing mesh, so host-mode ports and DNS round robin
            endpoint_spec=EndpointSpec(mode="dnsrr", ports=published),
            stop_grace_period=1_000_000_000,
        )
        for ip in addresses:  # the node addresses, on the cluster network the host reaches
            body = eventually(functools.partial(http_get, f"http://{ip}:{WEB_PORT}/"))
            assert body.startswith("hello from")

    def test_health_is_reported_per_node(self, cluster: Cluster, driver: SwarmDockerDriver) -> None:
        report = driver.poll_health(cluster.spec)
        assert report is not None
        assert report.status == "HEALTHY", report.reason
        assert report.reason["api"] == "ok"
        assert sorted(k for k in report.reason if k.endswith(".Ready")) == sorted(
            f"{h}.Ready" for h in ready_hostnames(cluster.client)
        )
        assert set(v for k, v in report.reason.items() if k.endswith(".Ready")) == {"True"}

    def test_grow_to_three_workers(self, cluster: Cluster, driver: SwarmDockerDriver) -> None:
        steps = Steps()
        result = driver.resize_nodegroup(cluster.spec, cluster.workers, 3, [], steps)
        cluster.workers.node_count = 3
        assert len(result.node_addresses["default-worker"]) == 3
        assert len(ready_hostnames(cluster.client)) == 4
        assert any("creating 1 node" in s for s in steps.names)

    def test_shrink_to_one_removing_a_named_node(
        self, cluster: Cluster, driver: SwarmDockerDriver, docker_host: docker.DockerClient
    ) -> None:
        workers = [n for n in ready_hostnames(cluster.client) if "-default-worker-" in n]
        named = workers[1]
        steps = Steps()
        result = driver.resize_nodegroup(cluster.spec, cluster.workers, 1, [named], steps)
        cluster.workers.node_count = 1
        assert len(result.node_addresses["default-worker"]) == 1
        remaining = [n for n in ready_hostnames(cluster.client) if "-default-worker-" in n]
        assert remaining == [workers[0]]  # the named one and the highest-numbered one left
        assert any(s.startswith("draining") for s in steps.names)
        names = {
            c.name
            for c in docker_host.containers.list(
                all=True, filters={"label": f"{CLUSTER}={cluster.spec.uuid}"}
            )
        }
        assert named not in names

    def test_container_removed_behind_our_back_is_unhealthy(
        self, cluster: Cluster, driver: SwarmDockerDriver, docker_host: docker.DockerClient
    ) -> None:
        victim = next(n for n in ready_hostnames(cluster.client) if "-default-worker-" in n)
        docker_host.containers.get(victim).remove(force=True, v=True)
        report = driver.poll_health(cluster.spec)
        assert report is not None and report.status == "UNHEALTHY"
        assert report.reason[f"{victim}.Ready"] == "False"
        assert report.reason["default-worker.nodes"] == "0 of 1 node containers exist"
        # running the resize again repairs the group
        driver.resize_nodegroup(cluster.spec, cluster.workers, 1, [], Steps())

        def healthy() -> bool:
            report = driver.poll_health(cluster.spec)
            return report is not None and report.status == "HEALTHY"

        assert eventually(healthy, timeout=30)

    def test_extra_nodegroup_is_created_and_deleted(
        self, cluster: Cluster, driver: SwarmDockerDriver, docker_host: docker.DockerClient
    ) -> None:
        extra = NodeGroupSpec(str(uuid.uuid4()), "extra", "worker", 1, "moorage-node", FLAVOR)
        cluster.spec.nodegroups.append(extra)
        result = driver.create_nodegroup(cluster.spec, extra, Steps())
        assert len(result.node_addresses["extra"]) == 1
        added = [n for n in ready_hostnames(cluster.client) if "-extra-" in n]
        assert len(added) == 1
        assert docker_host.containers.get(added[0]).labels["moorage.nodegroup"] == "extra"
        driver.delete_nodegroup(cluster.spec, extra, Steps())
        cluster.spec.nodegroups.remove(extra)
        assert not [n for n in ready_hostnames(cluster.client) if "-extra-" in n]
        with pytest.raises(docker.errors.NotFound):
            docker_host.containers.get(added[0])

    def test_rolling_upgrade_replaces_every_node(
        self,
        cluster: Cluster,
        driver: SwarmDockerDriver,
        docker_host: docker.DockerClient,
        upgrade_image: str,
    ) -> None:
        template = dataclasses.replace(
            cluster.spec.template,
            uuid=str(uuid.uuid4()),
            labels={"node_image_tag": upgrade_image.rsplit(":", 1)[1]},
        )
        before = {n.attrs["Description"]["Hostname"]: n.id for n in cluster.client.nodes.list()}
        for group in (cluster.workers, cluster.spec.nodegroup("default-master")):
            steps = Steps()
            driver.upgrade_cluster(cluster.spec, template, 2, group, steps)
            assert any(s.startswith("upgrading") for s in steps.names)
        new_id = docker_host.images.get(upgrade_image).id
        found = docker_host.containers.list(filters={"label": f"{CLUSTER}={cluster.spec.uuid}"})
        assert found and all(c.attrs["Image"] == new_id for c in found)
        after = {n.attrs["Description"]["Hostname"]: n for n in cluster.client.nodes.list()}
        # same swarm identities: the nodes came back with their state and rejoined
        assert {name: n.id for name, n in after.items()} == before
        assert all(n.attrs["Spec"]["Availability"] == "active" for n in after.values())
        assert len(ready_hostnames(cluster.client)) == len(before)

    def test_ca_rotation_moves_the_api_to_the_new_ca(
        self, cluster: Cluster, driver: SwarmDockerDriver, tmp_path: pathlib.Path
    ) -> None:
        assert cluster.result.api_address
        new_ca = generate_ca("moorage test cluster, rotated")
        cluster.spec.ca = CaBundle(new_ca.cert_pem, new_ca.key_pem)
        driver.rotate_ca_certificate(cluster.spec, Steps())
        (tmp_path / "old").mkdir()
        stale = tls_client(tmp_path / "old", cluster.ca, cluster.result.api_address)
        with pytest.raises(requests.exceptions.SSLError):  # the server's cert is from the new CA
            stale.ping()
        cluster.client.close()
        cluster.ca = new_ca
        cluster.client = tls_client(tmp_path, new_ca, cluster.result.api_address)
        assert len(ready_hostnames(cluster.client)) == 2
        report = driver.poll_health(cluster.spec)
        assert report is not None and report.status == "HEALTHY", report

    def test_delete_leaves_nothing(
        self, cluster: Cluster, driver: SwarmDockerDriver, docker_host: docker.DockerClient
    ) -> None:
        driver.delete_cluster(cluster.spec, Steps())
        assert leftovers(docker_host, cluster.spec.uuid) == []
        driver.delete_cluster(cluster.spec, Steps())  # again: nothing to do, no error


def test_missing_image_fails_and_delete_cleans_up(
    docker_host: docker.DockerClient, node_image: str, driver: SwarmDockerDriver, ca: KeyPair
) -> None:
    spec = make_spec(ca, "broken", workers=1, worker_labels={"node_image_tag": "no-such-tag"})
    try:
        with pytest.raises(DriverError, match="moorage-node:no-such-tag"):
            driver.create_cluster(spec, Steps())
        assert leftovers(docker_host, spec.uuid)  # the master was made before the failure
    finally:
        driver.delete_cluster(spec, Steps())
    assert leftovers(docker_host, spec.uuid) == []


def test_create_run_again_after_a_failure_finishes_the_cluster(
    docker_host: docker.DockerClient, node_image: str, driver: SwarmDockerDriver, ca: KeyPair
) -> None:
    spec = make_spec(ca, "retried", workers=1, worker_labels={"node_image_tag": "no-such-tag"})
    try:
        with pytest.raises(DriverError):
            driver.create_cluster(spec, Steps())
        master = docker_host.containers.list(filters={"label": f"{CLUSTER}={spec.uuid}"})[0]
        spec.nodegroup("default-worker").labels.clear()  # the operator fixed the image
        result = driver.create_cluster(spec, Steps())
        assert len(result.node_addresses["default-worker"]) == 1
        assert docker_host.containers.get(str(master.id)).name == master.name  # kept, not rebuilt
        report = driver.poll_health(spec)
        assert report is not None and report.status == "HEALTHY", report
    finally:
        driver.delete_cluster(spec, Steps())
    assert leftovers(docker_host, spec.uuid) == []


def test_three_managers_form_a_quorum(
    docker_host: docker.DockerClient,
    node_image: str,
    driver: SwarmDockerDriver,
    ca: KeyPair,
    tmp_path: pathlib.Path,
) -> None:
    spec = make_spec(ca, "quorum", workers=0, masters=3)
    try:
        result = driver.create_cluster(spec, Steps())
        assert result.api_address
        client = tls_client(tmp_path, ca, result.api_address)
        managers = [n.attrs["ManagerStatus"] for n in client.nodes.list()]
        assert len(managers) == 3
        assert all(m["Reachability"] == "reachable" for m in managers)
        assert sum(bool(m.get("Leader")) for m in managers) == 1
        report = driver.poll_health(spec)
        assert report is not None and report.status == "HEALTHY", report
    finally:
        driver.delete_cluster(spec, Steps())
    assert leftovers(docker_host, spec.uuid) == []


def test_tls_disabled_cluster_serves_plain_tcp(
    docker_host: docker.DockerClient, node_image: str, driver: SwarmDockerDriver
) -> None:
    spec = make_spec(None, "plain", workers=0)
    try:
        result = driver.create_cluster(spec, Steps())
        assert result.api_address
        client = docker.DockerClient(base_url=result.api_address, version="1.41")
        client.api.trust_env = False
        assert client.info()["Swarm"]["ControlAvailable"] is True
    finally:
        driver.delete_cluster(spec, Steps())
    assert leftovers(docker_host, spec.uuid) == []


def test_two_clusters_at_once_get_their_own_ports_and_subnets(
    docker_host: docker.DockerClient, node_image: str, driver: SwarmDockerDriver, ca: KeyPair
) -> None:
    specs = [make_spec(ca, f"twin{i}", workers=0) for i in range(2)]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda spec: driver.create_cluster(spec, Steps()), specs))
        assert results[0].api_address != results[1].api_address
        subnets = [
            docker_host.networks.get(spec.uuid).attrs["IPAM"]["Config"][0]["Subnet"]
            for spec in specs
        ]
        assert subnets[0] != subnets[1]
    finally:
        for spec in specs:
            driver.delete_cluster(spec, Steps())
    assert leftovers(docker_host, specs[0].uuid) == leftovers(docker_host, specs[1].uuid) == []


def test_fixed_network_is_used_and_kept(
    docker_host: docker.DockerClient, node_image: str, driver: SwarmDockerDriver, ca: KeyPair
) -> None:
    name = f"moorage-test-fixed-{uuid.uuid4().hex[:8]}"
    fixed, prefix = None, ""
    for third in range(100, 128):  # below the driver's own range; another run may hold one
        prefix = f"192.168.{third}"
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=f"{prefix}.0/24", gateway=f"{prefix}.1")])
        try:
            fixed = docker_host.networks.create(name, driver="bridge", ipam=ipam)
            break
        except docker.errors.APIError:
            continue
    assert fixed is not None, "no free /24 in 192.168.100-127 for the fixed network"
    spec = make_spec(ca, "fixed", workers=0)
    spec.template.fixed_network = name
    try:
        result = driver.create_cluster(spec, Steps())
        assert result.node_addresses["default-master"] == [f"{prefix}.10"]
        driver.delete_cluster(spec, Steps())
        assert leftovers(docker_host, spec.uuid) == []
        fixed.reload()  # still there: the cluster did not create it, so it does not remove it
    finally:
        driver.delete_cluster(spec, Steps())
        fixed.remove()


def test_errors_name_the_call_and_never_carry_secrets() -> None:
    token = "SWMTKN-1-secretsecretsecret"

    def join() -> None:
        raise docker.errors.APIError("join failed", explanation=f"invalid join token {token}")

    with pytest.raises(DriverError) as caught:
        dockerapi.call("join node n0 to the swarm", join, secrets=[token])
    assert "join node n0 to the swarm" in str(caught.value)
    assert token not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("count", [1, 3, 5])
def test_master_sizes_accepted(driver: SwarmDockerDriver, count: int) -> None:
    driver.validate_master_size(count)


@pytest.mark.parametrize("count", [0, 2, 4, 7])
def test_master_sizes_refused(driver: SwarmDockerDriver, count: int) -> None:
    with pytest.raises(exceptions.Invalid):
        driver.validate_master_size(count)


def test_volume_sizes_are_accepted_and_noted_as_ignored(ca: KeyPair) -> None:
    spec = make_spec(ca, "notes", workers=1)  # the template carries docker_volume_size=5
    notes = layout.ignored_settings(spec)
    assert any(n.startswith("docker_volume_size") for n in notes)


def _node(name: str, node_id: str) -> Node:
    return Node(name, node_id, "192.168.200.10", "w", "worker", "running", "moorage-node", None)


def test_nodes_to_remove_by_name_container_id_or_swarm_id_then_highest_index() -> None:
    present = [_node(f"c-1234abcd-w-{i}", f"{i}" * 12 + "cafe") for i in range(1, 6)]
    swarm_ids = {"c-1234abcd-w-4": "swarmnodeid4"}
    victims = layout.pick_victims(
        "c-1234abcd-w-", present, 1, ["c-1234abcd-w-2", "333333", "swarmnodeid4"], swarm_ids
    )
    assert [v.name for v in victims] == [
        "c-1234abcd-w-2",  # by container name
        "c-1234abcd-w-3",  # by container id prefix
        "c-1234abcd-w-4",  # by swarm node id
        "c-1234abcd-w-5",  # then the highest index until one is left
    ]
    with pytest.raises(DriverError, match="not a node of this node group"):
        layout.pick_victims("c-1234abcd-w-", present, 1, ["nope"], {})
