"""``/v1/clusters``: create, list, show, patch and delete clusters.

The rows and the recorded requests are ``moorage.services.clusters``' work; these
routes parse, authorise and present (``moorage.api.views.clusters``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from moorage.api import microversion, policy, responses
from moorage.api.auth import context_from
from moorage.api.common import Router, json_body, json_document
from moorage.api.responses import documented
from moorage.api.views.cluster_patch import patch_and_dispatch
from moorage.api.views.clusters import (
    SCHEMA,
    create_row,
    list_clusters,
    rollback_flag,
    show,
    visible,
)
from moorage.context import RequestContext
from moorage.db.session import reading, transaction
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import json_schema, parse_body, with_defaults
from moorage.services import clusters as services

router = Router(tags=["clusters"])


@router.post(
    "/clusters",
    status_code=202,
    summary="Create a cluster",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Accepted, 202),
)
def create(
    request: Request,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = parse_body("cluster", document, SCHEMA)
    values = with_defaults(values, SCHEMA)
    with transaction() as session:
        row = create_row(session, ctx, microversion.of(request), values)
    return {"uuid": row.uuid}


router.list_and_detail("/clusters", "clusters", list_clusters, responses.Clusters)


@router.get("/clusters/{ident}", summary="Show a cluster", **documented(responses.Cluster))
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    with reading() as session:
        return show(session, request, visible(session, ctx, ident, "cluster", "get"))


@router.json_patch(
    "/clusters/{ident}",
    "Update a cluster (JSON patch)",
    status_code=202,
    **documented(responses.Accepted, 202),
)
def patch(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    flag: bool = Depends(rollback_flag),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    ops = jsonpatch.parse(document)
    with transaction() as session:
        row = visible(session, ctx, ident, "cluster", "update")
        policy.authorize(ctx, "cluster:update_health_status")
        patch_and_dispatch(session, ctx, microversion.of(request), row, ops, flag)
        return {"uuid": row.uuid}


@router.delete("/clusters/{ident}", status_code=204, summary="Delete a cluster")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    with transaction() as session:
        services.delete(session, ctx, visible(session, ctx, ident, "cluster", "delete"))
    return Response(status_code=204)
