"""The node layer's session plus clients for each swarm node's own Docker engine
(the swarm's API), on the address the provider gives for the node's API port."""

from __future__ import annotations

import docker

from moorage.drivers import dockerapi
from moorage.drivers.base import ClusterSpec
from moorage.drivers.nodes import session
from moorage.drivers.providers.base import Node, Provider
from moorage.drivers.swarm_docker import node_config


class Session(session.Session):
    def __init__(
        self, spec: ClusterSpec, need_tls: bool = True, provider: Provider | None = None
    ) -> None:
        super().__init__(spec, node_config.recipe(spec), provider, need_tls)
        self._clients: dict[tuple[str, float], docker.DockerClient] = {}

    def _close_clients(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def client(self, target: Node, timeout: float = 60) -> docker.DockerClient:
        """A client for the node's own engine, on its cluster address."""
        key = (target.name, timeout)
        with self._lock:
            creds = self.credentials()
            if key not in self._clients:
                self._clients[key] = dockerapi.remote(
                    f"tcp://{self.api_address(target)}",
                    creds.files if creds else None,
                    timeout=timeout,
                )
            return self._clients[key]
