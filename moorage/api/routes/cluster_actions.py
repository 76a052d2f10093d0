"""``/v1/clusters/{ident}/actions``: resize (from 1.7), upgrade (from 1.8), load_image.

``load_image`` is Moorage's own action (Magnum has none): with no registry
reachable, images reach a cluster's nodes by being copied from the conductor's
Docker engine.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from moorage import exceptions
from moorage.api import limits, microversion, policy, responses
from moorage.api.auth import context_from
from moorage.api.common import json_body, json_document
from moorage.api.responses import documented
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.session import transaction
from moorage.objects import nodes
from moorage.objects.fields import Field, Int, Schema, Str, StrList, json_schema, parse_body
from moorage.objects.requests import Operation
from moorage.rpc import api as rpc_api
from moorage.services import clusters, nodegroups, templates

router = APIRouter(tags=["clusters"], dependencies=[Depends(microversion.require(7))])

RESIZE_SCHEMA: Schema = {
    "node_count": Field(Int(0), mandatory=True),
    "nodes_to_remove": Field(StrList()),
    "nodegroup": Field(Str(1, 255)),
}
LOAD_IMAGE_SCHEMA: Schema = {"image": Field(Str(1, 255), mandatory=True)}
UPGRADE_SCHEMA: Schema = {
    "cluster_template": Field(Str(1, 255)),
    "max_batch_size": Field(Int(1)),
    "nodegroup": Field(Str(1, 255)),
}


def _check_range(group: models.NodeGroup, node_count: int) -> None:
    low, high = group.min_node_count or 0, group.max_node_count
    if node_count < low or (high is not None and node_count > high):
        raise exceptions.Invalid(
            f"Resizing {group.name} outside the allowed range: "
            f"min_node_count = {low}, max_node_count = {high}"
        )


def _nodes_to_remove(group: models.NodeGroup, idents: list[str]) -> list[str]:
    """The names of the nodes ``idents`` designate, checked against the nodes recorded
    for the group: an entry the driver would not find is refused now rather than
    failing the cluster later. The driver then gets names only.

    A group with nothing recorded (its cluster predates migration 0004 and has not
    been operated on since) is taken at its word, as before: refusing it would make
    its nodes impossible to name; the driver still refuses an unknown node.
    """
    if group.nodes is None or not idents:
        return idents
    recorded = [nodes.NodeRecord.from_json(n) for n in group.nodes]
    return nodes.resolve(group.name, recorded, idents)


@router.post(
    "/clusters/{ident}/actions/resize",
    status_code=202,
    summary="Resize a node group of a cluster",
    openapi_extra=json_body(json_schema(RESIZE_SCHEMA)),
    **documented(responses.Accepted, 202),
)
def resize(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = parse_body("cluster_resize_req", document, RESIZE_SCHEMA)
    node_count = values["node_count"]
    limits.check_node_count(microversion.of(request), node_count)
    with transaction() as session:
        # No admin scope here, as in Magnum: another project's cluster is a 404.
        row = clusters.lookup(session, ctx, ident)
        policy.authorize(ctx, "cluster:resize", clusters.target(row))
        group = nodegroups.find(session, ctx, row, values.get("nodegroup"))
        if group.role == "master":
            templates.driver_of(session, row).validate_master_resize(node_count)
        else:
            _check_range(group, node_count)
        limits.check_cluster_size(session, row, node_count, group.uuid)
        to_remove = _nodes_to_remove(group, values.get("nodes_to_remove") or [])
        clusters.dispatch(
            session,
            ctx,
            row,
            Operation.CLUSTER_RESIZE,
            node_count=node_count,
            nodes_to_remove=to_remove,
            nodegroup_uuid=group.uuid,
        )
        return {"uuid": row.uuid}


@router.post(
    "/clusters/{ident}/actions/upgrade",
    status_code=202,
    summary="Upgrade a cluster to another template",
    openapi_extra=json_body(json_schema(UPGRADE_SCHEMA)),
    **documented(responses.Accepted, 202),
)
def upgrade(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = parse_body("cluster_upgrade_req", document, UPGRADE_SCHEMA)
    if not microversion.of(request).at_least(8):
        raise exceptions.Invalid("Cluster upgrade is not supported in the provided microversion.")
    wide = policy.widen_for_admin(ctx, "cluster:upgrade_all_projects")
    with transaction() as session:
        row = clusters.lookup(session, wide, ident)
        policy.authorize(ctx, "cluster:upgrade", clusters.target(row))
        template = templates.lookup(session, wide, str(values.get("cluster_template")))
        group = nodegroups.find(session, wide, row, values.get("nodegroup"))
        if template.uuid != row.cluster_template_id and not group.is_default:
            current = templates.of_cluster(session, row)
            raise exceptions.Conflict(
                f"Cluster Template is not valid for upgrade: Nodegroup {group.name} can be "
                f"upgraded only to match cluster's template ({current and current.name})."
            )
        cluster_uuid, group_uuid = row.uuid, group.uuid
    # A call, not a cast: the conductor's refusal comes back as this request's error.
    rpc_api.cluster_upgrade(
        ctx, cluster_uuid, template.uuid, values.get("max_batch_size") or 1, group_uuid
    )
    return {"uuid": cluster_uuid}


@router.post(
    "/clusters/{ident}/actions/load_image",
    summary="Copy an image from the conductor's Docker engine into every node (Moorage)",
    openapi_extra=json_body(json_schema(LOAD_IMAGE_SCHEMA)),
    **documented(responses.LoadedImage),
)
def load_image(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = parse_body("cluster_load_image_req", document, LOAD_IMAGE_SCHEMA)
    with transaction() as session:
        row = clusters.lookup(session, ctx, ident)
        policy.authorize(ctx, "cluster:load_image", clusters.target(row))
        cluster_uuid = row.uuid
    nodes = rpc_api.cluster_load_image(ctx, cluster_uuid, values["image"])
    return {"uuid": cluster_uuid, "image": values["image"], "nodes": nodes}
