"""``/v1/clusters/{cluster}/nodegroups`` (from 1.9): a cluster's groups of nodes.

The API inserts a new group (CREATE_IN_PROGRESS) and stores patched bounds and
node labels/taints itself, then records the intent on the cluster and casts it;
the conductor moves the statuses and calls the driver.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import limits, microversion, policy, responses
from moorage.api.auth import context_from
from moorage.api.common import (
    Paging,
    Router,
    collection,
    from_query,
    json_body,
    json_document,
    next_link,
)
from moorage.api.responses import documented
from moorage.api.views.nodegroups import (
    PATCH_INTERNAL,
    PATCHABLE,
    PRESTORE_KEYS,
    SCHEMA,
    group_links,
    item,
    show,
)
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import paginate, scoped
from moorage.db.session import transaction
from moorage.objects import labels as labelling
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import json_schema, parse_body, with_defaults
from moorage.objects.requests import Operation
from moorage.services import clusters
from moorage.services import nodegroups as services

router = Router(tags=["nodegroups"], dependencies=[Depends(microversion.require(9))])


def _cluster_and_group(
    session: Session, ctx: RequestContext, cluster_ident: str, ident: str
) -> tuple[models.Cluster, models.NodeGroup]:
    cluster = clusters.lookup(session, ctx, cluster_ident)
    return cluster, services.find(session, ctx, cluster, ident)


@router.get(
    "/clusters/{cluster_ident}/nodegroups",
    summary="List a cluster's node groups",
    **documented(responses.NodeGroups),
)
def get_all(
    request: Request,
    cluster_ident: str,
    role: str | None = None,
    paging: Paging = Depends(from_query(Paging)),
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
        return collection("nodegroups", [item(g) for g in rows], next_link(request, path, rows, pg))


@router.get(
    "/clusters/{cluster_ident}/nodegroups/{ident}",
    summary="Show a node group",
    **documented(responses.NodeGroup),
)
def get_one(
    request: Request, cluster_ident: str, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    ctx = policy.widen_for_admin(ctx, "nodegroup:get_one_all_projects")
    with transaction() as session:
        cluster = clusters.lookup(session, ctx, cluster_ident)
        policy.authorize(ctx, "nodegroup:get")
        return show(request, cluster, services.find(session, ctx, cluster, ident))


@router.post(
    "/clusters/{cluster_ident}/nodegroups",
    status_code=202,
    summary="Add a node group to a cluster",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.NodeGroup, 202),
)
def create(
    request: Request,
    cluster_ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    given = parse_body("nodegroup", document, SCHEMA)
    values = with_defaults(given, SCHEMA)
    taints = services.taints(values.get("node_taints"))
    name, node_count = values["name"], values["node_count"]
    policy.authorize(ctx, "nodegroup:create")
    with transaction() as session:
        cluster = clusters.lookup(session, ctx, cluster_ident)
        services.check_new(session, cluster, name)
        limits.check_node_count(microversion.of(request), node_count)
        services.check_counts(
            name, node_count, values["min_node_count"], values.get("max_node_count")
        )
        limits.check_cluster_size(session, cluster, node_count)
        limits.check_max_node_count(session, cluster, values.get("max_node_count"))
        group = services.create(session, ctx, cluster, values, taints)
        # Magnum answers with the group as built before the conductor stored it.
        body: dict[str, Any] = {key: getattr(group, key) for key in PRESTORE_KEYS}
        body.update(
            {
                k: given[k]
                for k in ("docker_volume_size", "node_labels", "node_taints")
                if k in given
            }
        )
        body.update(labelling.differences(cluster.labels or {}, group.labels))
        body["merge_labels"] = False
        body["links"] = group_links(request, group)
    return body


@router.json_patch(
    "/clusters/{cluster_ident}/nodegroups/{ident}",
    "Update a node group's bounds, node labels and taints (JSON patch)",
    status_code=202,
    **documented(responses.NodeGroup, 202),
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
        after["node_taints"] = services.taints(after["node_taints"])
        services.check_counts(
            group.name, group.node_count, after["min_node_count"], after["max_node_count"]
        )
        limits.check_max_node_count(session, cluster, after["max_node_count"])
        services.check_node_labels_and_taints(
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
