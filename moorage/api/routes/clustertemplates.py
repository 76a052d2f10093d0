"""``/v1/clustertemplates``: the blueprints clusters are made from.

The flows are shared with the legacy ``/v1/baymodels`` (``api.views.templates``);
the lookups, Magnum's rules and the rows are ``services.templates``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from moorage.api import responses
from moorage.api.auth import context_from
from moorage.api.common import Router, json_body, json_document
from moorage.api.responses import documented
from moorage.api.views.templates import (
    SCHEMA,
    TEMPLATE,
    create_from,
    delete_by,
    list_of,
    patch_from,
    show,
)
from moorage.context import RequestContext
from moorage.objects.fields import json_schema

router = Router(tags=["clustertemplates"])

ClusterTemplate = responses.from_schema("ClusterTemplate", SCHEMA)
ClusterTemplates = responses.page("ClusterTemplates", "clustertemplates", ClusterTemplate)


@router.post(
    "/clustertemplates",
    status_code=201,
    summary="Create a cluster template",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(ClusterTemplate, 201),
)
def create(
    request: Request,
    response: Response,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    body = create_from(request, ctx, document, TEMPLATE)
    response.headers["Location"] = body["links"][0]["href"]
    return body


router.list_and_detail("/clustertemplates", "cluster templates", list_of, ClusterTemplates)


@router.get(
    "/clustertemplates/{ident}", summary="Show a cluster template", **documented(ClusterTemplate)
)
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    return show(request, ctx, ident, TEMPLATE)


@router.json_patch(
    "/clustertemplates/{ident}",
    "Update a cluster template (JSON patch)",
    **documented(ClusterTemplate),
)
def patch(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    return patch_from(request, ctx, ident, document, TEMPLATE)


@router.delete("/clustertemplates/{ident}", status_code=204, summary="Delete a cluster template")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    return delete_by(ctx, ident, TEMPLATE)
