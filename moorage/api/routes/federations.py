"""``/v1/federations``: named groups of clusters around a host cluster (api.md section 15).

Magnum's federation API is experimental: its conductor raises "not implemented"
and nothing is ever stored. Moorage stores a federation as a record: create
checks the host cluster, the members and the ``dns-zone`` property and writes
the row with status ``CREATE_COMPLETE`` and a status_reason that says what that
means: the federation is recorded, and **no cross-cluster control plane** (no
federated API, no DNS zone) is set up. Joining and leaving (PATCH on
``/member_ids``) update the record (``UPDATE_COMPLETE``); delete removes it. No
conductor is involved, so nothing is cast.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, Router, iso, json_body, json_document, links, listing
from moorage.api.responses import documented
from moorage.api.views.clusters import NAME_PATTERN
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import find
from moorage.db.session import transaction
from moorage.objects import names
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
from moorage.objects.status import Status
from moorage.services.clusters import lookup

router = Router(tags=["federations"])

KIND = "Federation"
COLLECTION = "federations"
RECORDED = "Federation is recorded; Moorage sets up no cross-cluster control plane."

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
# The attributes a PATCH may change.
MUTABLE = frozenset({"member_ids", "properties"})
# Keys of a list (non-detail) item.
SUMMARY = ("uuid", "name", "hostcluster_id", "member_ids", "status", "properties", "links")


def view(request: Request, row: models.Federation, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": row.uuid,
        "name": row.name,
        "hostcluster_id": row.hostcluster_id,
        "member_ids": list(row.member_ids or []),
        "status": row.status,
        "status_reason": row.status_reason,
        "properties": dict(row.properties or {}),
        "links": links(request, COLLECTION, row.uuid),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
    return body if detail else {key: body[key] for key in SUMMARY}


def _target(row: models.Federation) -> dict[str, Any]:
    return {"project_id": row.project_id}


def _check_properties(properties: dict[str, str] | None) -> None:
    if properties is None:
        raise exceptions.Invalid("Please specify a `properties` dict for the federation.")
    if properties.get("dns-zone") is None:
        raise exceptions.Invalid("No DNS zone specified. Please specify a `dns-zone`.")


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
        if values.get("hostcluster_id") is None:
            raise exceptions.Invalid("No hostcluster specified. Please specify a hostcluster_id.")
        host = lookup(session, ctx, values["hostcluster_id"]).uuid
        _check_properties(values.get("properties"))
        members = [lookup(session, ctx, m).uuid for m in values.get("member_ids") or []]
        row = models.Federation(
            uuid=str(uuidlib.uuid4()),
            project_id=ctx.project_id,
            name=values.get("name") or names.generate("federation"),
            hostcluster_id=host,
            member_ids=list(dict.fromkeys(members)),
            properties=values["properties"],
            status=Status.CREATE_COMPLETE,
            status_reason=RECORDED,
        )
        session.add(row)
        return {"uuid": row.uuid}


def _list(request: Request, ctx: RequestContext, paging: Paging, detail: bool) -> dict[str, Any]:
    """The caller's project only: no all-projects view for admins, as in Magnum."""
    return listing(
        request,
        ctx,
        paging,
        models.Federation,
        KIND,
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
        row = find(session, models.Federation, KIND, ident, ctx)
        policy.authorize(ctx, "federation:get", _target(row))
        return view(request, row)


def _membership(
    session: Session,
    ctx: RequestContext,
    row: models.Federation,
    members: list[str],
    op: str,
    value: Any,
) -> list[str]:
    """Join (``add``) or leave (``remove``) one cluster; the new member list."""
    if op == "add":
        uuid = lookup(session, ctx, str(value)).uuid
        if uuid in members:
            raise exceptions.Conflict(
                f"A cluster with UUID {uuid} is already a member of the federation {row.name}."
            )
        return [*members, uuid]
    if value in members:  # a member that no longer exists may still leave
        return [m for m in members if m != value]
    lookup(session, ctx, str(value))  # 404 for a cluster that does not exist
    raise exceptions.NotFound(f"Cluster {value} is not a member of the federation {row.name}.")


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
        row = find(session, models.Federation, KIND, ident, ctx)
        policy.authorize(ctx, "federation:update", _target(row))
        before = {
            "uuid": row.uuid,
            "name": row.name,
            "project_id": row.project_id,
            "hostcluster_id": row.hostcluster_id,
            "member_ids": list(row.member_ids or []),
            "status": row.status,
            "status_reason": row.status_reason,
            "properties": dict(row.properties or {}),
        }
        members: list[str] = list(row.member_ids or [])
        prepared = []
        for op, item in zip(ops, raw, strict=True):
            value = item.get("value")
            if op["path"] == "/member_ids" and op["op"] in ("add", "remove") and value is not None:
                members = _membership(session, ctx, row, members, op["op"], value)
                op = {"op": "replace", "path": "/member_ids", "value": members}
            prepared.append(op)
        after = jsonpatch.apply(before, prepared)
        changes = jsonpatch.changed(before, after)
        refused = sorted(changes - MUTABLE)
        if refused:
            raise exceptions.Invalid(
                f"cannot change federation property(ies) {', '.join(refused)}."
            )
        checked = parse_body(
            "federation",
            {key: after.get(key) for key in MUTABLE},
            {key: SCHEMA[key] for key in MUTABLE},
            coerce=False,
        )
        if changes:
            row.member_ids = checked.get("member_ids") or []
            row.properties = checked.get("properties") or {}
            row.status, row.status_reason = Status.UPDATE_COMPLETE, RECORDED
        return {"uuid": row.uuid}


@router.delete("/federations/{ident}", status_code=204, summary="Delete a federation")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    with transaction() as session:
        row = find(session, models.Federation, KIND, ident, ctx)
        policy.authorize(ctx, "federation:delete", _target(row))
        session.delete(row)
    return Response(status_code=204)
