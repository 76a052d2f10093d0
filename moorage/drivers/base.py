"""The driver contract: what a COE x provider driver must do, and what it gets.

A driver is handed plain descriptions of the cluster (``ClusterSpec``) and reports
back plain results (``ClusterResult``, ``HealthReport``). It never touches the
database, the bus or HTTP: the conductor owns every status transition and writes
what the driver returns. This keeps a driver testable on its own against the real
provider (Docker), and lets the conductor resume or fail an operation whatever
the driver does.

Operations block until they are done (the conductor runs them on a worker
thread and holds the cluster's lease meanwhile). Each is declared as an ordered
list of named ``Step``s run through ``steps.run(progress, ...)``, so that the
conductor records them and ``status_reason`` reads ``step 3/7: <name>`` (a driver
that only calls ``progress.step(name)`` still works, unrecorded), and
on failure they raise ``DriverError`` whose text names the failing command and
its message. Every operation must be safe to run again after a partial failure:
``delete_cluster`` in particular must remove whatever a failed create left.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from moorage import exceptions
from moorage.config import CONF
from moorage.drivers import providers
from moorage.drivers.providers.base import Provider
from moorage.drivers.steps import Progress
from moorage.objects.catalog import Flavor
from moorage.objects.nodes import NodeRecord


@dataclass(frozen=True)
class Provides:
    server_type: str
    os: str
    coe: str


@dataclass
class NodeGroupSpec:
    uuid: str
    name: str
    role: str
    node_count: int
    image_id: str | None
    flavor: Flavor | None
    docker_volume_size: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    is_default: bool = False
    node_addresses: list[str] = field(default_factory=list)


@dataclass
class TemplateSpec:
    uuid: str
    name: str | None
    coe: str
    server_type: str
    cluster_distro: str | None
    image_id: str | None
    network_driver: str | None = None
    volume_driver: str | None = None
    docker_storage_driver: str | None = None
    dns_nameserver: str | None = None
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: str | None = None
    insecure_registry: str | None = None
    registry_enabled: bool = False
    tls_disabled: bool = False
    apiserver_port: int | None = None
    fixed_network: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class CaBundle:
    """The cluster's CA, decrypted for the duration of one operation only."""

    cert_pem: str
    key_pem: str = field(repr=False)


@dataclass
class ClusterSpec:
    uuid: str
    name: str
    project_id: str
    template: TemplateSpec
    nodegroups: list[NodeGroupSpec]
    ca: CaBundle | None
    labels: dict[str, str] = field(default_factory=dict)
    keypair: str | None = None
    fixed_network: str | None = None
    fixed_subnet: str | None = None
    master_lb_enabled: bool = False
    floating_ip_enabled: bool = True
    docker_volume_size: int | None = None
    create_timeout: int = 60
    api_address: str | None = None
    stack_id: str | None = None

    def nodegroup(self, name: str) -> NodeGroupSpec:
        for group in self.nodegroups:
            if group.name == name:
                return group
        raise exceptions.ResourceNotFound("Nodegroup", name)


@dataclass
class ClusterResult:
    """What an operation left behind, written to the DB by the conductor."""

    api_address: str | None = None
    stack_id: str | None = None
    coe_version: str | None = None
    container_version: str | None = None
    node_addresses: dict[str, list[str]] = field(default_factory=dict)
    # Each node group's nodes, by group name (what ``nodes_to_remove`` may name); a
    # group left out is not reported, and its recorded nodes stay as they were.
    nodes: dict[str, list[NodeRecord]] = field(default_factory=dict)


@dataclass
class HealthReport:
    status: str  # HEALTHY, UNHEALTHY or UNKNOWN
    reason: dict[str, str] = field(default_factory=dict)


class Driver(abc.ABC):
    """Base of every COE driver, found through the ``moorage.drivers`` entry points, and
    composed with the provider its nodes run on (``docs/drivers.md``)."""

    provides: ClassVar[Sequence[Provides]] = ()
    beta: ClassVar[bool] = False
    # The most nodes (of every node group, masters included) one cluster of this driver
    # can have, whatever the operator allows; None: no limit of the driver's own.
    max_nodes: ClassVar[int | None] = None

    def __init__(self, provider: Provider | None = None) -> None:
        self.provider = provider or providers.get(providers.DEFAULT)

    # --- checks the API runs before accepting a request --------------------------

    def node_limit(self) -> tuple[int, str]:
        """The most nodes one cluster may have, and whose limit that is (for messages).

        The lower of the driver's ``max_nodes`` and the operator's
        ``[cluster] max_nodes_per_cluster``.
        """
        operator = CONF.cluster.max_nodes_per_cluster
        if self.max_nodes is not None and self.max_nodes < operator:
            return self.max_nodes, f"driver {type(self).__name__}"
        return operator, "[cluster] max_nodes_per_cluster"

    def validate_cluster_size(self, total: int) -> None:
        """Refuse a cluster of ``total`` nodes before anything is written or allocated.

        Drivers and the conductor build lists in proportion to node counts, so the
        API checks every count against this limit first.
        """
        limit, source = self.node_limit()
        if total > limit:
            raise exceptions.TooManyNodes(total, limit, source)

    def validate_master_size(self, count: int) -> None:
        if count < 1 or count % 2 == 0:
            raise exceptions.Invalid(
                f"master nodegroup size of {count} is invalid, size cannot be an even number."
            )

    def validate_master_resize(self, count: int) -> None:
        raise exceptions.Invalid("Resizing the master nodegroup is not supported by this driver.")

    def validate_labels(self, labels: Mapping[str, str]) -> None:
        """Refuse labels the COE cannot honour (a cluster's, merged over its template's).

        Every label is accepted by default, as Magnum passes labels on untouched."""
        return None

    def validate_template(self, values: Mapping[str, Any]) -> None:
        """Refuse a template's settings the COE cannot honour; its labels by default."""
        self.validate_labels(values.get("labels") or {})

    # --- operations run by the conductor -------------------------------------------

    @abc.abstractmethod
    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        """Build every node group of ``spec`` until the COE answers."""

    @abc.abstractmethod
    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        """Remove everything of the cluster; must succeed on a half-built one."""

    @abc.abstractmethod
    def resize_nodegroup(
        self,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: Sequence[str],
        progress: Progress,
    ) -> ClusterResult:
        """Bring ``nodegroup`` to ``node_count`` nodes, removing the named ones first."""

    def upgrade_cluster(
        self,
        spec: ClusterSpec,
        template: TemplateSpec,
        max_batch_size: int,
        nodegroup: NodeGroupSpec,
        progress: Progress,
    ) -> ClusterResult:
        raise exceptions.NotSupported("Upgrading a cluster is not supported by this driver.")

    def create_nodegroup(
        self, spec: ClusterSpec, nodegroup: NodeGroupSpec, progress: Progress
    ) -> ClusterResult:
        return self.resize_nodegroup(spec, nodegroup, nodegroup.node_count, (), progress)

    def delete_nodegroup(
        self, spec: ClusterSpec, nodegroup: NodeGroupSpec, progress: Progress
    ) -> ClusterResult:
        return self.resize_nodegroup(spec, nodegroup, 0, (), progress)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        raise exceptions.NotSupported("'rotate_ca_certificate' is not supported by this driver.")

    def rotate_credential(self, spec: ClusterSpec) -> None:
        raise exceptions.NotSupported("Credential rotation is not supported by driver.")

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        """Copy a local image into every node (no registry is reachable); returns the nodes."""
        raise exceptions.NotSupported("Loading images is not supported by this driver.")

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        """Replace the nodes ``report`` shows down (labels ``auto_healing_enabled=true``)."""
        raise exceptions.NotSupported("Auto-healing is not supported by this driver.")

    def poll_health(self, spec: ClusterSpec) -> HealthReport | None:
        """Report the cluster's health, or None when the driver cannot tell."""
        return None
