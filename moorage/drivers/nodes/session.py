"""What one driver operation works with: the provider, the cluster's nodes, and the
conductor's client certificate for the nodes' APIs.

A session lives for one operation (a context manager): the client certificate it
issues from ``spec.ca`` is gone when the operation ends, so no credential outlives
the call that was given the CA. A COE driver extends it with clients of its own API.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from moorage.drivers import providers
from moorage.drivers.base import ClusterSpec
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.credentials import ClientCredentials
from moorage.drivers.providers.base import Node, Provider
from moorage.exceptions import DriverError

# Issuing the client certificate (an RSA key, 0.05 to 0.3 s of CPU) runs while the
# operation's first steps talk to the provider; the first node client waits for it.
_ISSUER = ThreadPoolExecutor(2, thread_name_prefix="moorage-client-cert")


@dataclass(frozen=True)
class Recipe:
    """What a COE runs on its nodes; the node layer makes the nodes from it."""

    default_image: str  # when neither the node group nor the template names one
    command: list[str]
    api_port: int  # the COE's API on every node; published on the masters
    tls_dir: str | None  # where the node's API server reads its certificate; None: none
    environment: dict[str, str] = field(default_factory=dict)
    default_tag: str | None = None  # the image's tag when neither image nor label has one
    # how the operator makes a missing node image (shown when a cluster needs it)
    build_command: str = "moorage image build"
    api_scheme: str = "tcp"  # how users address the API (Magnum: tcp:// Swarm, https:// Kubernetes)
    # how the node container is made (``providers.base.NodeSpec`` says why each exists)
    state_paths: tuple[str, ...] = ("/var/lib/docker",)
    tty: bool = False
    tmpfs: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()


class Session:
    def __init__(
        self,
        spec: ClusterSpec,
        recipe: Recipe,
        provider: Provider | None = None,
        need_tls: bool = True,
    ) -> None:
        self.spec = spec
        self.recipe = recipe
        self.provider = provider or providers.get(providers.name_for(spec.template.labels))
        self.tls = not spec.template.tls_disabled
        self._creds: ClientCredentials | None = None
        self._issuing: Future[ClientCredentials] | None = None
        if self.tls and need_tls:
            if spec.ca is None:
                raise DriverError(f"cluster {spec.uuid}: no CA given, but the template enables TLS")
            self._issuing = _ISSUER.submit(ClientCredentials, spec.ca)
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
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
            self._close_clients()
            creds = self._settle()
        if creds is not None:
            creds.close()

    def _close_clients(self) -> None:
        """Close the COE's clients of the nodes (a subclass has some). Holds the lock."""

    def _settle(self) -> ClientCredentials | None:
        """The issued client certificate, waiting for it if needed; None when issuing
        failed (the error was raised to whoever needed it). The caller holds the lock."""
        issuing, self._issuing = self._issuing, None
        if issuing is not None and issuing.exception() is None:
            self._creds = issuing.result()
        return self._creds

    def credentials(self) -> ClientCredentials | None:
        """The client certificate once issued (None without TLS); raises what issuing
        raised, every time it is asked for. The caller holds the lock."""
        if self._issuing is not None:
            self._creds = self._issuing.result()
            self._issuing = None
        if self.tls and self._creds is None:
            raise DriverError(f"cluster {self.spec.uuid}: no client certificate for its nodes")
        return self._creds

    def nodes(self, nodegroup: str | None = None) -> list[Node]:
        """The cluster's nodes, the load balancer left out (it belongs to no group)."""
        found = self.provider.find_nodes(self.spec.uuid, nodegroup)
        return [n for n in found if n.role != layout.BALANCER_ROLE]

    def balancer(self) -> Node | None:
        """The load balancer in front of the masters, when the cluster has one."""
        found = self.provider.find_nodes(self.spec.uuid)
        return next((n for n in found if n.role == layout.BALANCER_ROLE), None)

    def api_address(self, target: Node) -> str:
        """Where the conductor reaches the node's COE API."""
        return self.provider.address(target, self.recipe.api_port)
