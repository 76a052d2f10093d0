"""The provider contract: where a cluster's nodes run, in about ten calls.

A provider knows how to make, find, restart and remove a *node* (a machine of the
cluster: a container of the local engine for ``docker``, a record for ``noop``),
how to put files and images into one, and on which address a node's port is
reached. It knows nothing of what runs on the nodes: a COE driver decides which
nodes exist and what they run, through the node layer (``moorage.drivers.nodes``).
The spirit is kind's ``Provider`` interface.

The contract every provider keeps (``docs/drivers.md``):

- The provider itself is the source of truth for which nodes exist: ``find_nodes``
  reports what is really there, so an operation can start from it after a crash.
- Every call is idempotent where that makes sense: ensuring a network that exists
  returns it, removing what is gone already succeeds.
- A failure raises ``DriverError`` whose text names the failing call and the
  underlying message (it ends up in the cluster's ``status_reason``).
- No database, bus or HTTP access; no state outside what ``find_nodes`` reports.
- Calls are safe from several threads at once (an operation works in parallel).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

# path inside the node -> (content, file mode)
Files = Mapping[str, tuple[bytes, int]]


@dataclass(frozen=True)
class Network:
    """The network a cluster's nodes share, with a subnet for their fixed addresses."""

    name: str
    subnet: str
    gateway: str
    owned: bool  # created for the cluster (and so removed with it)


@dataclass
class NodeSpec:
    """Everything needed to (re)create one node."""

    name: str
    image: str
    network: str
    ip: str
    cluster: str
    nodegroup: str
    role: str
    command: Sequence[str]
    files: Files = field(default_factory=dict)
    environment: Mapping[str, str] = field(default_factory=dict)
    cpus: float | None = None
    memory_mb: int | None = None
    api_port: int | None = None  # the node's API port, published for users when ``publish``
    publish: bool = False
    # The published port to keep (a node that is recreated keeps its address); None
    # lets the provider choose a free one.
    host_port: int | None = None
    # Where the node keeps what must survive its replacement (its disks): the COE's
    # state, a container runtime's images. Swarm nodes keep their engine's.
    state_paths: Sequence[str] = ("/var/lib/docker",)
    # A console (kubelet's OOM watcher reads /dev/kmsg, which points at it) and
    # memory-backed directories (runtime state that must not survive a restart).
    tty: bool = False
    tmpfs: Sequence[str] = ()
    # Resolvers the node itself uses; empty: the provider's own. Nodes are given
    # 127.0.0.1 where nothing outside the cluster may be asked.
    dns: Sequence[str] = ()
    # A node runs a container runtime of its own (and so needs the rights nested
    # runtimes need); False: a plain process, given no capability at all.
    nested: bool = True


@dataclass(frozen=True)
class Ran:
    """The outcome of a command run in a node."""

    exit_code: int
    output: str  # stdout and stderr together, as the command wrote them


@dataclass(frozen=True)
class Node:
    """A node as the provider reports it."""

    name: str
    id: str
    ip: str
    nodegroup: str
    role: str
    state: str  # running, exited, created, restarting, ...
    image: str
    host_port: int | None  # where the node's API is published, if it is


class Provider(abc.ABC):
    """Where nodes run. Found through the ``moorage.providers`` entry points."""

    # False when nodes are records only (``noop``): no COE can run on them, so the
    # cluster driver composed with such a provider does the node bookkeeping alone.
    runs_nodes: ClassVar[bool] = True

    @abc.abstractmethod
    def ensure_network(self, cluster: str, existing: str | None = None) -> Network:
        """The cluster's network: ``existing`` when given (never created nor removed),
        else the cluster's own, created when missing."""

    @abc.abstractmethod
    def addresses_in_use(self, network: Network) -> set[str]:
        """Addresses of ``network`` taken by anything, ours or not (a fixed network)."""

    @abc.abstractmethod
    def create_node(self, spec: NodeSpec) -> None:
        """Create the node with its files in place and start it. A node of the same name
        is replaced, its disk kept (how an upgraded node keeps its state). With
        ``publish``, its ``api_port`` is published on ``host_port`` or, when None, on a
        free port."""

    @abc.abstractmethod
    def find_nodes(self, cluster: str, nodegroup: str | None = None) -> list[Node]:
        """The cluster's nodes in any state, sorted by name."""

    @abc.abstractmethod
    def remove_node(self, name: str, keep_state: bool = False) -> None:
        """Remove a node (gone already is fine) and, unless ``keep_state``, its disk."""

    @abc.abstractmethod
    def restart_node(self, name: str) -> None:
        """Restart a node, or start a stopped one."""

    @abc.abstractmethod
    def down_reason(self, name: str) -> str | None:
        """Why a node cannot answer (gone, stopped), or None when it runs."""

    @abc.abstractmethod
    def put_files(self, name: str, files: Files) -> None:
        """Write files into a node (created or running), e.g. its certificates."""

    @abc.abstractmethod
    def run(self, name: str, argv: Sequence[str]) -> Ran:
        """Run a command in a running node as root and wait for it (kind's
        ``node.Command``): how a COE bootstraps what runs inside (``kubeadm init``).
        A non-zero exit is returned, not raised; a node that cannot run it raises."""

    @abc.abstractmethod
    def image_exists(self, ref: str) -> bool:
        """Whether an image is in the store nodes are made from (there is no registry)."""

    @abc.abstractmethod
    def image_archive(self, ref: str) -> bytes:
        """An image of that store as a ``docker save`` archive, for a COE to load into a
        node with the node's own runtime (``docker load``, ``ctr import``)."""

    @abc.abstractmethod
    def address(self, node: Node, port: int, public: bool = False) -> str:
        """``host:port`` where ``port`` of ``node`` is reached: by the conductor, or with
        ``public`` by the cluster's users (only the published API port is public)."""

    @abc.abstractmethod
    def remove_cluster(self, cluster: str) -> None:
        """Remove every node, disk and owned network of the cluster; must succeed on a
        half-built cluster and on one that is gone already."""
