"""``/v1/quotas``: per-project cluster limits, managed by admins (api.md section 13).

Magnum checks on create that the project exists in Keystone (404 ``The
project_id <p> could not be found.``), before policy; so does Moorage with
``auth_strategy = keystone`` (``moorage.api.identity``). Without Keystone (noauth
or HTTP basic) there is no project catalogue to ask and any project id is accepted.

The rows and the lookups are ``services.quotas``; the limit these rows set for
cluster create is ``moorage.db.quotas.cluster_limit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio.from_thread
from fastapi import APIRouter, Depends, Request, Response

from moorage import exceptions
from moorage.api import identity, policy, responses
from moorage.api.auth import context_from
from moorage.api.common import (
    Paging,
    collection,
    from_query,
    iso,
    json_body,
    json_document,
    next_link,
)
from moorage.api.responses import documented
from moorage.context import RequestContext
from moorage.objects.fields import (
    Enum,
    Field,
    Int,
    Schema,
    Str,
    bool_from_string,
    json_schema,
    parse_body,
)
from moorage.services import quotas, transaction

router = APIRouter(tags=["quotas"])

COLLECTION = "quotas"
SCHEMA: Schema = {
    "id": Field(Int(1), readonly=True),
    "project_id": Field(Str(1, 255)),
    "resource": Field(Enum(quotas.RESOURCES)),
    "hard_limit": Field(Int(0)),
    "created_at": Field(Str(), readonly=True),
    "updated_at": Field(Str(), readonly=True),
}


def view(row: quotas.Quota) -> dict[str, Any]:
    return {
        "id": row.id,
        "project_id": row.project_id,
        "resource": row.resource,
        "hard_limit": row.hard_limit,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


@router.post(
    "/quotas",
    status_code=201,
    summary="Create a quota",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Quota, 201),
)
def create(
    request: Request,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = parse_body("quota", document, SCHEMA)
    project_id = values.get("project_id")
    if project_id:
        # Before policy, as Magnum; the Keystone client is async, this route is not.
        anyio.from_thread.run(identity.ensure_project_exists, ctx, project_id)
    policy.authorize(ctx, "quota:create")
    if not project_id:
        raise exceptions.Invalid("Must provide a valid project ID.")
    resource = values.get("resource") or quotas.CLUSTER
    with transaction() as session:
        return view(quotas.create(session, project_id, resource, values.get("hard_limit")))


@dataclass
class QuotaPaging(Paging):
    """The quota list's query: the usual paging, with an integer id for a marker.

    The marker is the quota's id, so FastAPI parses it (and OpenAPI types it) as
    an integer, in the place Paging declares it; ``all_tenants`` comes last.
    """

    # Narrowed on purpose (a dataclass field keeps its place when redeclared).
    marker: int | None = None  # type: ignore[assignment]
    all_tenants: str | None = None


@router.get("/quotas", summary="List quotas", **documented(responses.Quotas))
def get_all(
    request: Request,
    paging: QuotaPaging = Depends(from_query(QuotaPaging)),
    ctx: RequestContext = Depends(context_from),
) -> dict[str, Any]:
    """Admins only; every project's quotas with ``all_tenants=true``, else their own."""
    policy.authorize(ctx, "quota:get_all")
    if paging.all_tenants is not None and bool_from_string(paging.all_tenants, "all_tenants"):
        ctx = ctx.scoped_to_all_projects()
    pg = paging.page(quotas.Quota, uuid_marker=False)
    with transaction() as session:
        rows = quotas.page(session, ctx, pg, paging.marker)
        items = [view(row) for row in rows]
    return collection(COLLECTION, items, next_link(request, COLLECTION, rows, pg, "id"))


@router.get(
    "/quotas/{project_id}/{resource}",
    summary="Show a project's quota",
    **documented(responses.Quota),
)
def get_one(
    project_id: str, resource: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    """A project without a quota row shows the configured default limit."""
    policy.authorize(ctx, "quota:get")
    if not ctx.is_admin and project_id != ctx.project_id:
        raise exceptions.NotAuthorized()
    with transaction() as session:
        row = quotas.find(session, project_id, resource)
        if row is not None:
            return view(row)
    return {
        "project_id": project_id,
        "resource": quotas.CLUSTER,
        "hard_limit": quotas.default_limit(),
    }


@router.patch(
    "/quotas/{project_id}/{resource}",
    status_code=202,
    summary="Update a quota",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Quota, 202),
)
def update(
    request: Request,
    project_id: str,
    resource: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    """A plain object, not a JSON patch; an omitted ``hard_limit`` means 1, as in Magnum."""
    values = parse_body("quotapatch", document, SCHEMA)
    policy.authorize(ctx, "quota:update")
    with transaction() as session:
        return view(quotas.update(session, project_id, resource, values.get("hard_limit")))


@router.delete("/quotas/{project_id}/{resource}", status_code=204, summary="Delete a quota")
def delete(project_id: str, resource: str, ctx: RequestContext = Depends(context_from)) -> Response:
    policy.authorize(ctx, "quota:delete")
    with transaction() as session:
        quotas.delete(session, project_id, resource)
    return Response(status_code=204)
