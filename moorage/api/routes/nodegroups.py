"""``/v1/clusters/{cluster}/nodegroups`` (from 1.9): a cluster's groups of nodes.

The API inserts a new group (CREATE_IN_PROGRESS) and stores patched bounds and
node labels/taints itself, then records the intent on the cluster and casts it;
the conductor moves the statuses and calls the driver.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import limits, microversion, policy
from moorage.api.auth import context_from
from moorage.api.common import (
    Paging,
    Router,
    collection,
    iso,
    json_body,
    json_document,
    links,
    next_link,
)
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import paginate, scoped
from moorage.db.session import transaction
from moorage.objects import catalog, template_rules
from moorage.objects import labels as labelling
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import (
    AnyJson,
    Bool,
    Field,
    Int,
    Labels,
    Schema,
    Str,
    json_schema,
    parse_body,
    with_defaults,
)
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from moorage.services import clusters
from moorage.services import nodegroups as services

router = Router(tags=["nodegroups"], dependencies=[Depends(microversion.require(9))])

KIND = services.KIND

SCHEMA: Schema = {
    **{
        key: Field(AnyJson(), ignored=True)
        for key in (
            "id",
            "uuid",
            "cluster_id",
            "is_default",
            "status",
            "status_reason",
            "version",
            "labels_overridden",
            "labels_added",
            "labels_skipped",
        )
    },
    "name": Field(Str(1, 255), mandatory=True),
    "docker_volume_size": Field(Int(1)),
    "labels": Field(Labels()),
    "merge_labels": Field(Bool(), default=False),
    "flavor_id": Field(Str(1, 255)),
    "image_id": Field(Str(1, 255)),
    "node_count": Field(Int(0), default=1),
    "role": Field(Str(1, 255), default="worker"),
    "min_node_count": Field(Int(0), default=0),
    "max_node_count": Field(Int(0)),
    "node_labels": Field(Labels()),
    "node_taints": Field(AnyJson()),
    **{
        key: Field(Str(), readonly=True)
        for key in (
            "project_id",
            "node_addresses",
            "stack_id",
            "links",
            "created_at",
            "updated_at",
        )
    },
}

COLUMNS = (
    "id",
    "uuid",
    "name",
    "cluster_id",
    "project_id",
    "docker_volume_size",
    "flavor_id",
    "image_id",
    "node_count",
    "role",
    "min_node_count",
    "max_node_count",
    "is_default",
    "stack_id",
    "status",
    "status_reason",
    "version",
)
LIST_KEYS = (
    "uuid",
    "name",
    "flavor_id",
    "node_count",
    "role",
    "is_default",
    "image_id",
    "status",
    "stack_id",
)
PRESTORE_KEYS = (
    "uuid",
    "cluster_id",
    "project_id",
    "image_id",
    "flavor_id",
    "labels",
    "name",
    "node_count",
    "role",
    "min_node_count",
    "max_node_count",
)
# Always rendered in list items with their declared defaults, whatever the group has.
LIST_DEFAULTS = {"min_node_count": 0, "max_node_count": None, "merge_labels": False}
PATCHABLE: dict[str, Any] = {
    "min_node_count": 0,
    "max_node_count": None,
    "node_labels": {},
    "node_taints": [],
}
PATCH_INTERNAL = (
    *(k for k in COLUMNS if k not in PATCHABLE),
    "labels",
    "merge_labels",
    "node_addresses",
    "links",
)

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io")
ALLOWED_LABEL_PREFIXES = ("kubelet.kubernetes.io", "node.kubernetes.io")
ALLOWED_LABEL_KEYS = frozenset(
    {
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/os",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "kubernetes.io/arch",
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "node.kubernetes.io/instance-type",
        "node.kubernetes.io/windows-build",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)


# --- rules ----------------------------------------------------------------------------


def _invalid(attr: str, name: str, why: str) -> exceptions.Conflict:
    return exceptions.Conflict(f"{attr} for {name} is invalid ({why}).")


def check_counts(name: str, node_count: int, low: int, high: int | None) -> None:
    if high is not None and high < low:
        raise _invalid(
            "max_node_count",
            name,
            f"min_node_count ({low}) should be less or equal to max_node_count ({high})",
        )
    if high is not None and node_count > high:
        raise _invalid(
            "max_node_count",
            name,
            f"node_count ({node_count}) should be less or equal to max_node_count ({high})",
        )
    if low > node_count:
        raise _invalid(
            "min_node_count",
            name,
            f"min_node_count ({low}) should be less or equal to node_count ({node_count})",
        )


def _reserved(key: str) -> bool:
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if key in ALLOWED_LABEL_KEYS or prefix in ALLOWED_LABEL_PREFIXES:
        return False
    return any(prefix == d or prefix.endswith("." + d) for d in RESERVED_LABEL_DOMAINS)


def check_node_labels_and_taints(
    name: str, role: str | None, node_labels: Mapping[str, str], node_taints: list[Any]
) -> None:
    for attr, value in (("node_labels", node_labels), ("node_taints", node_taints)):
        if value and role == "master":
            raise _invalid(attr, name, f"{attr} may not be set on master nodegroups")
    for key in node_labels:
        if _reserved(key):
            raise _invalid("node_labels", name, f"the label key {key} is in a reserved namespace")
    for taint in node_taints:
        if not isinstance(taint, dict) or not set(taint) <= {"key", "value", "effect"}:
            raise _invalid(
                "node_taints", name, "a taint is an object with only key, value and effect"
            )
        if not taint.get("key"):
            raise _invalid("node_taints", name, "a taint needs a non-empty key")
        if taint.get("effect") not in TAINT_EFFECTS:
            raise _invalid(
                "node_taints", name, "a taint's effect must be one of " + ", ".join(TAINT_EFFECTS)
            )


def _taints(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise exceptions.InvalidInput(
            "node_taints", value, f"Wrong type. Expected '<class 'list'>', got '{type(value)}'"
        )
    return value


# --- representations ------------------------------------------------------------------


def _links(request: Request, group: models.NodeGroup) -> list[dict[str, str]]:
    return links(request, f"clusters/{group.cluster_id}/nodegroups", group.uuid)


def show(request: Request, cluster: models.Cluster, group: models.NodeGroup) -> dict[str, Any]:
    body = {key: getattr(group, key) for key in COLUMNS}
    body["labels"] = group.labels or {}
    body.update(labelling.differences(cluster.labels or {}, body["labels"]))
    body["node_addresses"] = group.node_addresses or []
    body["node_labels"] = group.node_labels or {}
    body["node_taints"] = group.node_taints or []
    body["merge_labels"] = False
    body["links"] = _links(request, group)
    body["created_at"] = iso(group.created_at)
    body["updated_at"] = iso(group.updated_at)
    return body


def _item(group: models.NodeGroup) -> dict[str, Any]:
    return {**{key: getattr(group, key) for key in LIST_KEYS}, **LIST_DEFAULTS}


# --- routes -------------------------------------------------------------------------


def _cluster_and_group(
    session: Session, ctx: RequestContext, cluster_ident: str, ident: str
) -> tuple[models.Cluster, models.NodeGroup]:
    cluster = clusters.lookup(session, ctx, cluster_ident)
    return cluster, services.find(session, ctx, cluster, ident)


@router.get("/clusters/{cluster_ident}/nodegroups", summary="List a cluster's node groups")
def get_all(
    request: Request,
    cluster_ident: str,
    role: str | None = None,
    paging: Paging = Depends(),
    ctx: RequestContext = Depends(context_from),
) -> dict[str, Any]:
    policy.authorize(ctx, "nodegroup:get_all")
    ctx = policy.widen_for_admin(ctx, "nodegroup:get_all_all_projects")
    pg = paging.page(models.NodeGroup)
    with transaction() as session:
        cluster = clusters.lookup(session, ctx, cluster_ident)
        marker = services.find(session, ctx, cluster, pg.marker) if pg.marker else None
        stmt = scoped(select(models.NodeGroup), models.NodeGroup, ctx).where(
            models.NodeGroup.cluster_id == cluster.uuid
        )
        if role is not None:
            stmt = stmt.where(models.NodeGroup.role == role)
        rows = paginate(session, stmt, models.NodeGroup, pg, marker)
        path = f"clusters/{cluster.uuid}/nodegroups"
        return collection(
            "nodegroups", [_item(g) for g in rows], next_link(request, path, rows, pg)
        )


@router.get("/clusters/{cluster_ident}/nodegroups/{ident}", summary="Show a node group")
def get_one(
    request: Request, cluster_ident: str, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    ctx = policy.widen_for_admin(ctx, "nodegroup:get_one_all_projects")
    with transaction() as session:
        cluster = clusters.lookup(session, ctx, cluster_ident)
        policy.authorize(ctx, "nodegroup:get")
        return show(request, cluster, services.find(session, ctx, cluster, ident))


def _template_image(session: Session, cluster: models.Cluster) -> str | None:
    return session.scalar(
        select(models.ClusterTemplate.image_id).where(
            models.ClusterTemplate.uuid == cluster.cluster_template_id
        )
    )


@router.post(
    "/clusters/{cluster_ident}/nodegroups",
    status_code=202,
    summary="Add a node group to a cluster",
    openapi_extra=json_body(json_schema(SCHEMA)),
)
def create(
    request: Request,
    cluster_ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    given = parse_body("nodegroup", document, SCHEMA)
    values = with_defaults(given, SCHEMA)
    taints = _taints(values.get("node_taints"))
    name, node_count = values["name"], values["node_count"]
    policy.authorize(ctx, "nodegroup:create")
    with transaction() as session:
        cluster = clusters.lookup(session, ctx, cluster_ident)
        if not cluster.api_address:
            raise exceptions.Conflict("Cluster API address is not available yet")
        existing = services.of_cluster(session, cluster.uuid)
        if name in {g.name for g in existing}:
            raise exceptions.Conflict(
                f"A node group with name {name} already exists in the cluster {cluster.name}."
            )
        limits.check_node_count(microversion.of(request), node_count)
        check_counts(name, node_count, values["min_node_count"], values.get("max_node_count"))
        limits.check_cluster_size(session, cluster, node_count)
        limits.check_max_node_count(session, cluster, values.get("max_node_count"))
        check_node_labels_and_taints(name, values["role"], values.get("node_labels") or {}, taints)
        if values["role"] == "master":
            raise exceptions.Invalid("Creating master nodegroups is currently not supported.")
        labels = labelling.merged(
            cluster.labels or {}, values.get("labels"), values["merge_labels"]
        )
        flavor = values.get("flavor_id") or cluster.flavor_id
        template_rules.check_flavors(labels, flavor)
        if values.get("image_id") is not None:
            catalog.find_image(values["image_id"])  # any local image would become a node
        group = models.NodeGroup(
            uuid=str(uuidlib.uuid4()),
            name=name,
            cluster_id=cluster.uuid,
            project_id=ctx.project_id,
            docker_volume_size=values.get("docker_volume_size"),
            labels=labels,
            flavor_id=flavor,
            image_id=values.get("image_id") or _template_image(session, cluster),
            node_count=node_count,
            role=values["role"],
            min_node_count=values["min_node_count"],
            max_node_count=values.get("max_node_count"),
            node_labels=values.get("node_labels") or {},
            node_taints=taints,
            is_default=False,
            status=Status.CREATE_IN_PROGRESS,
        )
        session.add(group)
        clusters.dispatch(
            session, ctx, cluster, Operation.NODEGROUP_CREATE, nodegroup_uuid=group.uuid
        )
        # Magnum answers with the group as built before the conductor stored it.
        body: dict[str, Any] = {key: getattr(group, key) for key in PRESTORE_KEYS}
        body.update(
            {
                k: given[k]
                for k in ("docker_volume_size", "node_labels", "node_taints")
                if k in given
            }
        )
        body.update(labelling.differences(cluster.labels or {}, labels))
        body["merge_labels"] = False
        body["links"] = _links(request, group)
    return body


@router.json_patch(
    "/clusters/{cluster_ident}/nodegroups/{ident}",
    "Update a node group's bounds, node labels and taints (JSON patch)",
    status_code=202,
)
def patch(
    request: Request,
    cluster_ident: str,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    ops = jsonpatch.parse(document)
    policy.authorize(ctx, "nodegroup:update")
    with transaction() as session:
        cluster, group = _cluster_and_group(session, ctx, cluster_ident, ident)
        before = {key: getattr(group, key) for key in PATCHABLE}
        result = jsonpatch.apply(before, ops, internal=PATCH_INTERNAL)
        after: dict[str, Any] = {k: result.get(k, default) for k, default in PATCHABLE.items()}
        for key in ("min_node_count", "max_node_count", "node_labels"):
            if after[key] is not None:
                after[key] = SCHEMA[key].type.check(key, after[key], False)
        after["min_node_count"] = after["min_node_count"] or 0
        after["node_labels"] = after["node_labels"] or {}
        after["node_taints"] = _taints(after["node_taints"])
        check_counts(group.name, group.node_count, after["min_node_count"], after["max_node_count"])
        limits.check_max_node_count(session, cluster, after["max_node_count"])
        check_node_labels_and_taints(
            group.name, group.role, after["node_labels"], after["node_taints"]
        )
        for key, value in after.items():
            setattr(group, key, value)
        clusters.dispatch(
            session, ctx, cluster, Operation.NODEGROUP_UPDATE, nodegroup_uuid=group.uuid
        )
        session.flush()
        return show(request, cluster, group)


@router.delete(
    "/clusters/{cluster_ident}/nodegroups/{ident}", status_code=204, summary="Delete a node group"
)
def delete(cluster_ident: str, ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    policy.authorize(ctx, "nodegroup:delete")
    with transaction() as session:
        cluster, group = _cluster_and_group(session, ctx, cluster_ident, ident)
        if group.is_default:
            raise exceptions.Invalid("Deleting a default nodegroup is not supported.")
        clusters.dispatch(
            session, ctx, cluster, Operation.NODEGROUP_DELETE, nodegroup_uuid=group.uuid
        )
    return Response(status_code=204)
