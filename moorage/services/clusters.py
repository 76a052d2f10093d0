"""Clusters: finding one, creating one with its rows, and recording what is asked of it.

Beyond Magnum, the API writes the cluster row and its two default node groups
itself (status CREATE_IN_PROGRESS) and records every operation it asks of the
conductor in the cluster's queue of requests (``cluster_request``) before casting
it, so that a lost message or a dead conductor is recovered by the reconcile loop.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.context import RequestContext
from moorage.db import models, quotas
from moorage.db.query import count, find
from moorage.drivers import registry
from moorage.objects import catalog, names, template_rules
from moorage.objects import labels as labelling
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from moorage.services import nodegroups, templates
from moorage.services.requests import dispatch

KIND = "Cluster"


def get(session: Session, uuid: str) -> models.Cluster | None:
    """The cluster with this uuid in any project, or ``None`` once it is gone (conductor)."""
    return session.scalar(select(models.Cluster).where(models.Cluster.uuid == uuid))


def load(session: Session, uuid: str) -> models.Cluster:
    """The cluster with this uuid in any project; gone is an error."""
    cluster = get(session, uuid)
    if cluster is None:
        raise exceptions.ResourceNotFound(KIND, uuid)
    return cluster


def lookup(session: Session, ctx: RequestContext, ident: str) -> models.Cluster:
    """The cluster a request names by uuid or name, within what ``ctx`` may see."""
    return find(session, models.Cluster, KIND, ident, ctx)


def target(row: models.Cluster) -> dict[str, Any]:
    """The policy target of a cluster: its owners."""
    return {"project_id": row.project_id, "user_id": row.user_id}


def delete(session: Session, ctx: RequestContext, row: models.Cluster) -> None:
    """Ask for the cluster's deletion; the conductor removes the rows when it is done."""
    dispatch(session, ctx, row, Operation.CLUSTER_DELETE)


def _template_for_create(
    session: Session, ctx: RequestContext, ident: str, missing_is_404: bool
) -> models.ClusterTemplate:
    try:
        return templates.lookup(session, ctx, ident, by_id=True)
    except exceptions.NotFound as exc:
        if missing_is_404:
            raise
        raise exceptions.Invalid(exc.text) from exc


def _check_quota(session: Session, ctx: RequestContext) -> None:
    limit = quotas.cluster_limit(session, ctx.project_id)
    used = count(
        session, select(models.Cluster.id).where(models.Cluster.project_id == ctx.project_id)
    )
    if used >= limit:
        raise exceptions.QuotaExceeded(limit)


def _inherited(values: dict[str, Any], template: models.ClusterTemplate) -> dict[str, Any]:
    """The fields a cluster takes from its template unless the request gives them."""
    return {
        key: values.get(key) if values.get(key) is not None else getattr(template, source)
        for key, source in (
            ("keypair", "keypair_id"),
            ("flavor_id", "flavor_id"),
            ("master_flavor_id", "master_flavor_id"),
            ("fixed_network", "fixed_network"),
            ("fixed_subnet", "fixed_subnet"),
            ("floating_ip_enabled", "floating_ip_enabled"),
            ("master_lb_enabled", "master_lb_enabled"),
        )
    }


def create(
    session: Session,
    ctx: RequestContext,
    values: dict[str, Any],
    admit: Callable[[int], None],
    missing_template_404: bool,
) -> models.Cluster:
    """Magnum's checks for a new cluster, in its order; then the rows and the request.

    ``values`` are parsed request fields with Magnum's cluster names. ``admit`` is
    the route's part, called with the worker count where Magnum checks it and the
    policy: after the driver's size checks, before the quota.
    """
    # Before any read: the quota count below must see the clusters of every create
    # of this project that held the lock before (see quotas.lock_project).
    quotas.lock_project(session, ctx.project_id)
    template = _template_for_create(
        session, ctx, values["cluster_template_id"], missing_template_404
    )
    driver = registry.find_name(
        template.server_type or "vm", template.cluster_distro, template.coe or ""
    )
    volume_size = values.get("docker_volume_size") or template.docker_volume_size
    template_rules.check_volume_size(template.docker_storage_driver, volume_size)
    master_count, node_count = values["master_count"], values["node_count"]
    cluster_driver = registry.get_by_name(driver)
    cluster_driver.validate_master_size(master_count)
    cluster_driver.validate_cluster_size(master_count + node_count)
    admit(node_count)
    _check_quota(session, ctx)
    if template.hidden and not ctx.is_admin:
        raise exceptions.NotAuthorized()
    labels = labelling.merged(template.labels or {}, values.get("labels"), values["merge_labels"])
    cluster_driver.validate_labels(labels)
    inherited = _inherited(values, template)
    template_rules.check_flavors(labels, inherited["flavor_id"], inherited["master_flavor_id"])
    template_rules.check_resources(
        {
            **inherited,
            "image_id": template.image_id,
            "external_network_id": template.external_network_id,
        }
    )
    if inherited["keypair"] is not None:
        catalog.check_keypair(inherited["keypair"])
    if master_count > 1 and not inherited["master_lb_enabled"]:
        raise exceptions.Invalid("master_count must be 1 when master_lb_enabled is False")
    row = models.Cluster(
        uuid=str(uuidlib.uuid4()),
        name=values.get("name") or names.generate("cluster"),
        project_id=ctx.project_id,
        user_id=ctx.user_id,
        cluster_template_id=template.uuid,
        docker_volume_size=volume_size,
        labels=labels,
        create_timeout=values["create_timeout"],
        discovery_url=values.get("discovery_url"),
        health_status=values.get("health_status"),
        health_status_reason=values.get("health_status_reason") or {},
        status=Status.CREATE_IN_PROGRESS,
        **inherited,
    )
    session.add(row)
    session.add_all(nodegroups.defaults(row, template, master_count, node_count))
    dispatch(session, ctx, row, Operation.CLUSTER_CREATE)
    session.flush()
    return row
