"""What one driver operation works with: the host engine, the cluster's nodes, and
clients for each node's engine.

A session lives for one operation (a context manager): the client certificate
it issues from ``spec.ca`` and the clients it opens are gone when the operation
ends, so no credential outlives the call that was given the CA.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import docker

from moorage.drivers.base import ClusterSpec
from moorage.drivers.docker import engine, node
from moorage.drivers.docker.node import Node
from moorage.drivers.swarm_docker import layout
from moorage.drivers.swarm_docker.credentials import ClientCredentials
from moorage.exceptions import DriverError

# Issuing the client certificate (an RSA key, 0.05 to 0.3 s of CPU) runs while the
# operation's first steps talk to the host engine; the first node client waits for it.
_ISSUER = ThreadPoolExecutor(2, thread_name_prefix="moorage-client-cert")


class Session:
    def __init__(self, spec: ClusterSpec, need_tls: bool = True) -> None:
        self.spec = spec
        self.host = engine.local()
        self.tls = not spec.template.tls_disabled
        self._creds: ClientCredentials | None = None
        self._issuing: Future[ClientCredentials] | None = None
        if self.tls and need_tls:
            if spec.ca is None:
                self.host.close()
                raise DriverError(f"cluster {spec.uuid}: no CA given, but the template enables TLS")
            self._issuing = _ISSUER.submit(ClientCredentials, spec.ca)
        self._clients: dict[tuple[str, float], docker.DockerClient] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            creds = self._settle()
        for client in clients:
            client.close()
        if creds is not None:
            creds.close()
        self.host.close()

    def _settle(self) -> ClientCredentials | None:
        """The issued client certificate, waiting for it if needed; None when issuing
        failed (the error was raised to whoever needed it). The caller holds the lock."""
        issuing, self._issuing = self._issuing, None
        if issuing is not None and issuing.exception() is None:
            self._creds = issuing.result()
        return self._creds

    def _credentials(self) -> ClientCredentials | None:
        """The client certificate once issued; raises what issuing raised, every time it
        is asked for. The caller holds the lock."""
        if self._issuing is not None:
            self._creds = self._issuing.result()
            self._issuing = None
        return self._creds

    def nodes(self, nodegroup: str | None = None) -> list[Node]:
        return node.find(self.host, self.spec.uuid, nodegroup)

    def client(self, target: Node, timeout: float = 60) -> docker.DockerClient:
        """A client for the node's own engine, on its cluster address."""
        key = (target.name, timeout)
        with self._lock:
            creds = self._credentials()
            if self.tls and creds is None:
                raise DriverError(
                    f"cluster {self.spec.uuid}: no client certificate for node {target.name}"
                )
            if key not in self._clients:
                self._clients[key] = engine.remote(
                    f"tcp://{target.ip}:{layout.API_PORT}",
                    creds.files if creds else None,
                    timeout=timeout,
                )
            return self._clients[key]

    def renew_credentials(self) -> None:
        """Issue a new client certificate from ``spec.ca`` (after the CA was rotated)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            old = self._settle()
            self._creds = None
        for client in clients:
            client.close()
        if old is not None:
            old.close()
        if self.tls and self.spec.ca is not None:
            self._creds = ClientCredentials(self.spec.ca)
