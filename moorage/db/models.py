"""SQLAlchemy models: the tables Magnum clients see through the API.

Column names are Magnum's so that the API's ``sort_key`` (any column name) and
operators' queries work the same. ``node_count``/``master_count`` of a cluster are
not columns: they are derived from its node groups, as in Magnum.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, onupdate=utcnow)


def _str(length: int = 255) -> Any:
    return mapped_column(String(length), nullable=True)


class ClusterTemplate(TimestampMixin, Base):
    __tablename__ = "cluster_template"
    __table_args__ = (UniqueConstraint("uuid", name="uniq_cluster_template0uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    project_id: Mapped[str | None] = _str()
    user_id: Mapped[str | None] = _str()
    name: Mapped[str | None] = _str()
    image_id: Mapped[str | None] = _str()
    flavor_id: Mapped[str | None] = _str()
    master_flavor_id: Mapped[str | None] = _str()
    keypair_id: Mapped[str | None] = _str()
    external_network_id: Mapped[str | None] = _str()
    fixed_network: Mapped[str | None] = _str()
    fixed_subnet: Mapped[str | None] = _str()
    network_driver: Mapped[str | None] = _str()
    volume_driver: Mapped[str | None] = _str()
    dns_nameserver: Mapped[str | None] = _str()
    apiserver_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    docker_volume_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    docker_storage_driver: Mapped[str | None] = _str()
    cluster_distro: Mapped[str | None] = _str()
    coe: Mapped[str | None] = _str()
    http_proxy: Mapped[str | None] = _str()
    https_proxy: Mapped[str | None] = _str()
    no_proxy: Mapped[str | None] = _str()
    registry_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tls_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    server_type: Mapped[str | None] = _str()
    insecure_registry: Mapped[str | None] = _str()
    master_lb_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    floating_ip_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[str | None] = _str()
    driver: Mapped[str | None] = _str()


class Cluster(TimestampMixin, Base):
    __tablename__ = "cluster"
    __table_args__ = (UniqueConstraint("uuid", name="uniq_cluster0uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    project_id: Mapped[str | None] = _str()
    user_id: Mapped[str | None] = _str()
    name: Mapped[str | None] = _str()
    cluster_template_id: Mapped[str | None] = _str()
    keypair: Mapped[str | None] = _str()
    docker_volume_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    master_flavor_id: Mapped[str | None] = _str()
    flavor_id: Mapped[str | None] = _str()
    stack_id: Mapped[str | None] = _str()
    api_address: Mapped[str | None] = _str()
    status: Mapped[str | None] = _str(20)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_status: Mapped[str | None] = _str(20)
    health_status_reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    create_timeout: Mapped[int | None] = mapped_column(Integer, nullable=True)
    discovery_url: Mapped[str | None] = _str()
    coe_version: Mapped[str | None] = _str()
    container_version: Mapped[str | None] = _str()
    ca_cert_ref: Mapped[str | None] = _str()
    magnum_cert_ref: Mapped[str | None] = _str()
    etcd_ca_cert_ref: Mapped[str | None] = _str()
    front_proxy_ca_cert_ref: Mapped[str | None] = _str()
    fixed_network: Mapped[str | None] = _str()
    fixed_subnet: Mapped[str | None] = _str()
    floating_ip_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    master_lb_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The conductor acting on the cluster and until when (renewed while it works), and
    # the fencing token, incremented by every take (``moorage.conductor.lease``).
    lease_owner: Mapped[str | None] = _str()
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lease_token: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class NodeGroup(TimestampMixin, Base):
    __tablename__ = "nodegroup"
    __table_args__ = (
        UniqueConstraint("uuid", name="uniq_nodegroup0uuid"),
        UniqueConstraint("cluster_id", "name", name="uniq_nodegroup0cluster_id0name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    cluster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cluster.uuid", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[str | None] = _str()
    docker_volume_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flavor_id: Mapped[str | None] = _str()
    image_id: Mapped[str | None] = _str()
    node_addresses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The nodes as the driver last reported them (``moorage.objects.nodes.NodeRecord``
    # as JSON); NULL: never reported (a cluster from before migration 0004).
    nodes: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    node_count: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str | None] = _str()
    max_node_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_node_count: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    stack_id: Mapped[str | None] = _str()
    status: Mapped[str | None] = _str(20)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[str | None] = _str(20)
    node_labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    node_taints: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ClusterRequest(TimestampMixin, Base):
    """A request recorded on a cluster, run in ``id`` order under the cluster's lease.

    What lets another conductor resume or fail the work after a crash, and what
    keeps concurrent requests from overwriting one another (beyond Magnum).
    ``operation`` is a stable name (``moorage.objects.requests.Operation``).
    """

    __tablename__ = "cluster_request"
    __table_args__ = (Index("ix_cluster_request0cluster_id0state", "cluster_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cluster.uuid", ondelete="CASCADE"), nullable=False
    )
    operation: Mapped[str] = mapped_column(String(64), nullable=False)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ClusterEvent(Base):
    """One step of an operation run on a cluster: the history ``status_reason`` forgets.

    Written by the conductor's step runner; read by ``GET /v1/clusters/{ident}/events``
    and by a resumed request, which skips the steps it already finished.
    ``request_id`` names the ``cluster_request`` without a foreign key, so the
    history outlives the request row.
    """

    __tablename__ = "cluster_event"
    __table_args__ = (Index("ix_cluster_event0cluster_id", "cluster_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("cluster.uuid", ondelete="CASCADE"), nullable=False
    )
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    operation: Mapped[str] = mapped_column(String(64), nullable=False)
    step: Mapped[str] = mapped_column(String(255), nullable=False)
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)


class X509KeyPair(TimestampMixin, Base):
    """A certificate and its private key, the key encrypted at rest."""

    __tablename__ = "x509keypair"
    __table_args__ = (UniqueConstraint("uuid", name="uniq_x509keypair0uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    certificate: Mapped[str] = mapped_column(Text, nullable=False)
    private_key: Mapped[str] = mapped_column(Text, nullable=False)
    intermediates: Mapped[str | None] = mapped_column(Text, nullable=True)
    project_id: Mapped[str | None] = _str()
    user_id: Mapped[str | None] = _str()


class MagnumService(TimestampMixin, Base):
    __tablename__ = "magnum_service"
    __table_args__ = (UniqueConstraint("host", "binary", name="uniq_magnum_service0host0binary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    binary: Mapped[str] = mapped_column(String(255), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = _str()
    last_seen_up: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0)


class Quota(TimestampMixin, Base):
    __tablename__ = "quotas"
    __table_args__ = (
        UniqueConstraint("project_id", "resource", name="uniq_quotas0project_id0resource"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    resource: Mapped[str] = mapped_column(String(255), nullable=False)
    hard_limit: Mapped[int] = mapped_column(Integer, nullable=False)


class QuotaLock(Base):
    """One row per project that has asked for a cluster: what its creates lock.

    Not a quota (the API never shows it): ``moorage.db.quotas.lock_project``
    takes the row's lock so that a project's quota count and insert are atomic.
    A project without ``project_id`` (a user-scoped context) has the key ``""``.
    """

    __tablename__ = "quota_lock"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Federation(TimestampMixin, Base):
    __tablename__ = "federation"
    __table_args__ = (UniqueConstraint("uuid", name="uniq_federation0uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    project_id: Mapped[str | None] = _str()
    name: Mapped[str | None] = _str()
    hostcluster_id: Mapped[str | None] = _str()
    member_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = _str(20)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
