"""``/v1/federations``: named groups of clusters around a host cluster (api.md section 15).

Magnum's federation API is experimental: its conductor raises "not implemented"
and nothing is ever stored. Moorage stores a federation as a record: create
checks the host cluster, the members and the ``dns-zone`` property and writes
the row with status ``CREATE_COMPLETE`` and a status_reason that says what that
means: the federation is recorded, and **no cross-cluster control plane** (no
federated API, no DNS zone) is set up. Joining and leaving (PATCH on
``/member_ids``) update the record (``UPDATE_COMPLETE``); delete removes it. No
conductor is involved, so nothing is cast. The checks and the record are
``services.federations``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, Router, iso, json_body, json_document, links, listing
from moorage.api.responses import documented
from moorage.api.views.clusters import NAME_PATTERN
from moorage.context import RequestContext
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import (
    AnyJson,
    Field,
    Labels,
    Schema,
    Str,
    StrList,
    bool_from_string,
    json_schema,
    parse_body,
)
from moorage.services import federations, transaction

router = Router(tags=["federations"])

COLLECTION = "federations"
RECORDED = federations.RECORDED

SCHEMA: Schema = {
    # Magnum accepts a uuid in the body and then uses a fresh one.
    "uuid": Field(AnyJson(), ignored=True),
    "name": Field(Str(1, 242, NAME_PATTERN)),
    "hostcluster_id": Field(Str(0, 255)),
    "member_ids": Field(StrList()),
    "properties": Field(Labels()),
    **{
        key: Field(Str(), readonly=True)
        for key in ("status", "status_reason", "project_id", "links", "created_at", "updated_at")
    },
}
# Keys of a list (non-detail) item.
SUMMARY = ("uuid", "name", "hostcluster_id", "member_ids", "status", "properties", "links")


def view(request: Request, row: federations.Readable, detail: bool = True) -> dict[str, Any]:
    body = {k: v for k, v in federations.document(row).items() if k != "project_id"}
    body["links"] = links(request, COLLECTION, row.uuid)
    body["created_at"] = iso(row.created_at)
    body["updated_at"] = iso(row.updated_at)
    return body if detail else {key: body[key] for key in SUMMARY}


@router.post(
    "/federations",
    status_code=202,
    summary="Create a federation",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Accepted, 202),
)
def create(
    request: Request,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, str]:
    values = parse_body("federation", document, SCHEMA)
    policy.authorize(ctx, "federation:create")
    with transaction() as session:
        return {"uuid": federations.create(session, ctx, values).uuid}


def _list(request: Request, ctx: RequestContext, paging: Paging, detail: bool) -> dict[str, Any]:
    """The caller's project only: no all-projects view for admins, as in Magnum."""
    return listing(
        request,
        ctx,
        paging,
        federations.Federation,
        federations.KIND,
        lambda _session, rows: [view(request, row, detail) for row in rows],
        name=COLLECTION,
        policy_prefix="federation",
        detail=detail,
        all_projects=False,
    )


router.list_and_detail("/federations", "federations", _list, responses.Federations)


@router.get("/federations/{ident}", summary="Show a federation", **documented(responses.Federation))
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    with transaction() as session:
        row = federations.lookup(session, ctx, ident)
        policy.authorize(ctx, "federation:get", federations.target(row))
        return view(request, row)


@router.json_patch(
    "/federations/{ident}",
    "Update a federation",
    status_code=202,
    **documented(responses.Accepted, 202),
)
def patch(
    request: Request,
    ident: str,
    rollback: str | None = None,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, str]:
    """JSON patch; ``add``/``remove`` with a cluster uuid on ``/member_ids`` joins/leaves.

    Only ``member_ids`` and ``properties`` may change. ``rollback`` is accepted
    (and checked) as Magnum does; with no conductor work there is nothing to roll back.
    """
    raw = document
    ops = jsonpatch.parse(raw)
    if rollback is not None:
        bool_from_string(rollback, "rollback")
    with transaction() as session:
        row = federations.lookup(session, ctx, ident)
        policy.authorize(ctx, "federation:update", federations.target(row))
        before = federations.document(row)
        after = jsonpatch.apply(before, federations.joins_and_leaves(session, ctx, row, ops, raw))
        changes = jsonpatch.changed(before, after)
        federations.check_changes(changes)
        mutable = federations.MUTABLE
        checked = parse_body(
            "federation",
            {key: after.get(key) for key in mutable},
            {key: SCHEMA[key] for key in mutable},
            coerce=False,
        )
        if changes:
            federations.update(row, checked)
        return {"uuid": row.uuid}


@router.delete("/federations/{ident}", status_code=204, summary="Delete a federation")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    with transaction() as session:
        row = federations.lookup(session, ctx, ident)
        policy.authorize(ctx, "federation:delete", federations.target(row))
        federations.delete(session, row)
    return Response(status_code=204)
