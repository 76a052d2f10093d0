"""Turning DB rows into the plain descriptions a driver works from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from moorage.conductor import certificates
from moorage.db import models
from moorage.drivers.base import CaBundle, ClusterSpec, NodeGroupSpec, TemplateSpec
from moorage.objects import catalog
from moorage.services import nodegroups, templates


def template_spec(row: models.ClusterTemplate) -> TemplateSpec:
    return TemplateSpec(
        uuid=row.uuid,
        name=row.name,
        coe=row.coe or "",
        server_type=row.server_type or "vm",
        cluster_distro=row.cluster_distro,
        image_id=row.image_id,
        network_driver=row.network_driver,
        volume_driver=row.volume_driver,
        docker_storage_driver=row.docker_storage_driver,
        dns_nameserver=row.dns_nameserver,
        http_proxy=row.http_proxy,
        https_proxy=row.https_proxy,
        no_proxy=row.no_proxy,
        insecure_registry=row.insecure_registry,
        registry_enabled=row.registry_enabled,
        tls_disabled=row.tls_disabled,
        apiserver_port=row.apiserver_port,
        fixed_network=row.fixed_network,
        labels=dict(row.labels or {}),
    )


def nodegroup_spec(row: models.NodeGroup) -> NodeGroupSpec:
    flavor = catalog.flavors().get(row.flavor_id) if row.flavor_id else None
    return NodeGroupSpec(
        uuid=row.uuid,
        name=row.name,
        role=row.role or "worker",
        node_count=row.node_count,
        image_id=row.image_id,
        flavor=flavor,
        docker_volume_size=row.docker_volume_size,
        labels=dict(row.labels or {}),
        is_default=row.is_default,
        node_addresses=list(row.node_addresses or []),
    )


def template_of(session: Session, cluster: models.Cluster) -> models.ClusterTemplate:
    return templates.load(session, cluster.cluster_template_id)


nodegroups_of = nodegroups.of_cluster


def cluster_spec(session: Session, cluster: models.Cluster, *, with_ca: bool = True) -> ClusterSpec:
    ca = certificates.ca(session, cluster) if with_ca and cluster.ca_cert_ref else None
    return ClusterSpec(
        uuid=cluster.uuid,
        name=cluster.name or cluster.uuid,
        project_id=cluster.project_id or "",
        template=template_spec(template_of(session, cluster)),
        nodegroups=[nodegroup_spec(ng) for ng in nodegroups_of(session, cluster.uuid)],
        ca=CaBundle(ca.cert_pem, ca.key_pem) if ca else None,
        labels=dict(cluster.labels or {}),
        keypair=cluster.keypair,
        fixed_network=cluster.fixed_network,
        fixed_subnet=cluster.fixed_subnet,
        master_lb_enabled=cluster.master_lb_enabled,
        floating_ip_enabled=cluster.floating_ip_enabled,
        docker_volume_size=cluster.docker_volume_size,
        create_timeout=cluster.create_timeout or 60,
        api_address=cluster.api_address,
        stack_id=cluster.stack_id,
    )


def notification_data(session: Session, cluster: models.Cluster) -> dict[str, Any]:
    """The ``cluster_data`` attachment of a notification (Magnum's keys)."""
    groups = nodegroups_of(session, cluster.uuid)
    masters = [g for g in groups if g.role == "master"]
    workers = [g for g in groups if g.role != "master"]
    return {
        "uuid": cluster.uuid,
        "name": cluster.name,
        "status": cluster.status,
        "status_reason": cluster.status_reason,
        "project_id": cluster.project_id,
        "created_at": cluster.created_at,
        "updated_at": cluster.updated_at,
        "cluster_template_id": cluster.cluster_template_id,
        "keypair": cluster.keypair,
        "docker_volume_size:": cluster.docker_volume_size,
        "labels": cluster.labels,
        "master_flavor_id": cluster.master_flavor_id,
        "flavor_id": cluster.flavor_id,
        "stack_id": cluster.stack_id,
        "health_status": cluster.health_status,
        "create_timeout": cluster.create_timeout,
        "api_address": cluster.api_address,
        "discovery_url": cluster.discovery_url,
        "node_addresses": [a for g in workers for a in (g.node_addresses or [])],
        "master_addresses": [a for g in masters for a in (g.node_addresses or [])],
        "node_count": sum(g.node_count for g in workers),
        "master_count": sum(g.node_count for g in masters),
    }
