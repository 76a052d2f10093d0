"""The ``docker`` provider: each node a container of the local Docker engine.

Nodes are reached by the conductor on their address on the cluster's bridge
network, and by users on the one port a master publishes on 127.0.0.1. The engine
is the source of truth for which nodes exist (labels), so every operation starts
from what is really there.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence

import docker

from moorage.drivers.providers.base import Files, Network, Node, NodeSpec, Provider, Ran
from moorage.drivers.providers.docker import host, image, network, node, ports
from moorage.exceptions import DriverError

LOG = logging.getLogger(__name__)
# Ports tried for one new master before giving up (each was free when chosen).
PORT_ATTEMPTS = 5


class DockerProvider(Provider):
    def __init__(self) -> None:
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    @property
    def host(self) -> docker.DockerClient:
        """The host engine, connected on first use (the SDK's client is thread-safe)."""
        with self._lock:
            if self._client is None:
                self._client = host.local()
            return self._client

    def ensure_network(self, cluster: str, existing: str | None = None) -> Network:
        return network.ensure(self.host, cluster, cluster, existing)

    def addresses_in_use(self, net: Network) -> set[str]:
        return network.attached_addresses(self.host, net.name)

    def create_node(self, spec: NodeSpec) -> None:
        with ports.allocation(self.host) as allocator:  # a kept port is free meanwhile
            self.remove_node(spec.name, keep_state=True)
            if spec.publish and spec.host_port is None:
                self._create_on_free_port(allocator, spec)
            else:
                node.create(self.host, spec)

    def _create_on_free_port(self, allocator: ports.Allocator, spec: NodeSpec) -> None:
        """A process outside Moorage can take the port between the allocator's check and
        the container's start: then the container is removed and the next port tried."""
        tried = []
        for _ in range(PORT_ATTEMPTS):
            port = allocator.take()
            tried.append(str(port))
            try:
                node.create(self.host, dataclasses.replace(spec, host_port=port))
                return
            except node.PortTaken as exc:
                LOG.warning("%s; trying another port", exc)
                node.remove(self.host, spec.name, keep_volume=True)
        raise DriverError(
            f"publish the API of node {spec.name}: host ports {', '.join(tried)} on 127.0.0.1 "
            f"were all taken by other processes when the node started (the range is "
            f"{ports.PORT_RANGE.start}-{ports.PORT_RANGE.stop - 1}; free some of it and retry)"
        )

    def find_nodes(self, cluster: str, nodegroup: str | None = None) -> list[Node]:
        return node.find(self.host, cluster, nodegroup)

    def remove_node(self, name: str, keep_state: bool = False) -> None:
        node.remove(self.host, name, keep_volume=keep_state)

    def restart_node(self, name: str) -> None:
        node.restart(self.host, name)

    def down_reason(self, name: str) -> str | None:
        return node.down_reason(self.host, name)

    def put_files(self, name: str, files: Files) -> None:
        node.put_files(self.host, name, files)

    def run(self, name: str, argv: Sequence[str]) -> Ran:
        return node.run(self.host, name, argv)

    def image_exists(self, ref: str) -> bool:
        return image.exists(self.host, ref)

    def image_archive(self, ref: str) -> bytes:
        return image.archive(self.host, ref)

    def address(self, target: Node, port: int, public: bool = False) -> str:
        if not public:
            return f"{target.ip}:{port}"
        if target.host_port is None:
            raise DriverError(f"reach node {target.name} from outside: it publishes no port")
        return f"127.0.0.1:{target.host_port}"

    def remove_cluster(self, cluster: str) -> None:
        node.remove_cluster(self.host, cluster)
        network.remove_owned(self.host, cluster)
