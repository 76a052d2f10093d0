"""What the cluster routes and the legacy bay routes share: the fields a request may
send, the representations, and finding the cluster a caller may act on.

The rows and the recorded requests are ``moorage.services.clusters``' work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request
from sqlalchemy import Row
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import limits, microversion, policy
from moorage.api.common import Paging, fields_of, iso, links, listing
from moorage.api.microversion import Version
from moorage.context import RequestContext
from moorage.db import models
from moorage.objects import labels as labelling
from moorage.objects.fields import (
    AnyJson,
    Bool,
    Enum,
    Field,
    Int,
    Labels,
    Schema,
    Str,
    bool_from_string,
)
from moorage.objects.status import FAILED, Health
from moorage.services import clusters as services
from moorage.services import nodegroups, templates

KIND = services.KIND

COLLECTION = "clusters"

# A cluster as presented: the ORM object of a show, or a list page's plain row.
Readable = models.Cluster | Row[Any]

NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_.-]*$"


def _ignored() -> Field:
    return Field(AnyJson(), ignored=True)


def _readonly() -> Field:
    return Field(Str(), readonly=True)


SCHEMA: Schema = {
    "uuid": _ignored(),
    "name": Field(Str(1, 242, NAME_PATTERN)),
    "cluster_template_id": Field(Str(1, 255), mandatory=True),
    "keypair": Field(Str(1, 255)),
    "node_count": Field(Int(0), default=1),
    "master_count": Field(Int(1), default=1),
    "docker_volume_size": Field(Int(1)),
    "labels": Field(Labels()),
    "merge_labels": Field(Bool(), default=False),
    "master_flavor_id": Field(Str(1, 255)),
    "flavor_id": Field(Str(1, 255)),
    "create_timeout": Field(Int(0), default=60),
    "discovery_url": Field(Str(0, 255)),
    "fixed_network": Field(Str(1, 255)),
    "fixed_subnet": Field(Str(1, 255)),
    "floating_ip_enabled": Field(Bool()),
    "master_lb_enabled": Field(Bool()),
    "health_status": Field(Enum(tuple(Health))),
    "health_status_reason": Field(Labels()),
    "status": _ignored(),
    "status_reason": _ignored(),
    "faults": _ignored(),
    "labels_overridden": _ignored(),
    "labels_added": _ignored(),
    "labels_skipped": _ignored(),
    **{
        key: _readonly()
        for key in (
            "stack_id",
            "cluster_id",
            "api_address",
            "coe_version",
            "container_version",
            "project_id",
            "user_id",
            "node_addresses",
            "master_addresses",
            "links",
            "created_at",
            "updated_at",
        )
    },
}

# Columns copied as they are into every representation.
COLUMNS = (
    "uuid",
    "name",
    "cluster_template_id",
    "keypair",
    "docker_volume_size",
    "master_flavor_id",
    "flavor_id",
    "stack_id",
    "api_address",
    "status",
    "status_reason",
    "health_status",
    "create_timeout",
    "discovery_url",
    "coe_version",
    "container_version",
    "fixed_network",
    "fixed_subnet",
    "floating_ip_enabled",
    "master_lb_enabled",
    "project_id",
    "user_id",
)

LIST_KEYS = (
    "uuid",
    "name",
    "cluster_template_id",
    "keypair",
    "docker_volume_size",
    "labels",
    "node_count",
    "master_count",
    "status",
    "master_flavor_id",
    "flavor_id",
    "create_timeout",
    "health_status",
    "stack_id",
    "links",
    "merge_labels",
)

DETAIL_KEYS = (
    *COLUMNS,
    "labels",
    "health_status_reason",
    "labels_added",
    "labels_overridden",
    "labels_skipped",
    "links",
    "master_addresses",
    "master_count",
    "merge_labels",
    "node_addresses",
    "node_count",
    "created_at",
    "updated_at",
)

SHOW_KEYS = (*DETAIL_KEYS, "faults")


def create_row(
    session: Session,
    ctx: RequestContext,
    version: Version,
    values: dict[str, Any],
    rule: str = "cluster:create",
    missing_template_404: bool | None = None,
) -> models.Cluster:
    """A new cluster, its rows and its request; ``rule`` is the policy (bays have their own).

    A missing template is a 404 from 1.10 on unless ``missing_template_404`` says otherwise.
    """

    def admit(node_count: int) -> None:
        limits.check_node_count(version, node_count)
        policy.authorize(ctx, rule)

    if missing_template_404 is None:
        missing_template_404 = version.at_least(10)
    return services.create(session, ctx, values, admit, missing_template_404)


def visible(
    session: Session, ctx: RequestContext, ident: str, prefix: str, action: str
) -> models.Cluster:
    """The cluster ``<prefix>:<action>`` may act on; admins reach every project's."""
    all_rule = f"{prefix}:{'get_one' if action == 'get' else action}_all_projects"
    wide = policy.widen_for_admin(ctx, all_rule)
    row = services.lookup(session, wide, ident)
    policy.authorize(ctx, f"{prefix}:{action}", services.target(row))
    return row


def rollback_flag(request: Request, rollback: str | None = None) -> bool:
    """Dependency: ``?rollback=`` exists from 1.3 on; before that it is an unknown argument."""
    if rollback is None:
        return False
    if not microversion.of(request).at_least(3):
        raise exceptions.Invalid('Unknown argument: "rollback"')
    return bool_from_string(rollback, "rollback")


def render(
    session: Session,
    request: Request,
    rows: Sequence[Readable],
    keys: Sequence[str],
    collection_name: str = COLLECTION,
) -> list[dict[str, Any]]:
    """Clusters with the values derived from node groups and template, cut to ``keys``.

    Keys are Magnum's cluster names (``stack_id`` becomes ``cluster_id`` from 1.13).
    """
    groups = nodegroups.summaries_of(session, [row.uuid for row in rows])
    template_labels = templates.labels_of(session, {row.cluster_template_id for row in rows})
    renamed = microversion.of(request).at_least(13)
    out = []
    for row in rows:
        full = _full(
            request,
            row,
            groups[row.uuid],
            template_labels.get(row.cluster_template_id or ""),
            collection_name,
        )
        body = {key: full[key] for key in keys if key in full}
        if renamed and "stack_id" in body:
            body["cluster_id"] = body.pop("stack_id")
        out.append(body)
    return out


def _full(
    request: Request,
    row: Readable,
    groups: Sequence[Row[Any]],
    template_labels: dict[str, str] | None,
    collection_name: str = COLLECTION,
) -> dict[str, Any]:
    masters = [g for g in groups if g.role == "master"]
    workers = [g for g in groups if g.role != "master"]
    body = fields_of(row, COLUMNS)
    body["labels"] = row.labels or {}
    body["health_status_reason"] = row.health_status_reason or {}
    body.update(labelling.differences(template_labels or {}, body["labels"]))
    body["node_count"] = sum(g.node_count for g in workers)
    body["master_count"] = sum(g.node_count for g in masters)
    body["node_addresses"] = [a for g in workers for a in (g.node_addresses or [])]
    body["master_addresses"] = [a for g in masters for a in (g.node_addresses or [])]
    body["merge_labels"] = False
    body["links"] = links(request, collection_name, row.uuid)
    body["created_at"] = iso(row.created_at)
    body["updated_at"] = iso(row.updated_at)
    if row.status in FAILED:
        body["faults"] = {
            g.name: g.status_reason for g in groups if (g.status or "").endswith("FAILED")
        }
    return body


def show(session: Session, request: Request, row: models.Cluster) -> dict[str, Any]:
    return render(session, request, [row], SHOW_KEYS)[0]


Renderer = Callable[[Session, Request, Sequence[Readable], Sequence[str]], list[dict[str, Any]]]


def list_clusters(
    request: Request,
    ctx: RequestContext,
    paging: Paging,
    detail: bool,
    *,
    name: str = COLLECTION,
    policy_prefix: str = "cluster",
    keys: tuple[Sequence[str], Sequence[str]] = (LIST_KEYS, DETAIL_KEYS),
    renderer: Renderer = render,
) -> dict[str, Any]:
    """A page of clusters cut to the list or detail ``keys``; bays pass their own names."""

    def present(session: Session, rows: list[Row[Any]]) -> list[dict[str, Any]]:
        return renderer(session, request, rows, keys[detail])

    return listing(
        request,
        ctx,
        paging,
        models.Cluster,
        KIND,
        present,
        name=name,
        policy_prefix=policy_prefix,
        detail=detail,
    )
