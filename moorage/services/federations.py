"""Federations: records of a host cluster and its members, with Magnum's rules.

Nothing runs for a federation (Magnum's conductor does not implement one), so the
record is the whole of it: the host and every member must be clusters the caller
sees, ``properties`` must name a ``dns-zone``, and a change leaves the record
``*_COMPLETE`` with a reason that says no control plane was set up.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import find
from moorage.objects import names
from moorage.objects.status import Status
from moorage.services import clusters

KIND = "Federation"
RECORDED = "Federation is recorded; Moorage sets up no cross-cluster control plane."
# The attributes a PATCH may change.
MUTABLE = frozenset({"member_ids", "properties"})
# The row this service hands out; routes name its type through here.
Federation = models.Federation
# A federation as presented: an ORM object, or a list page's plain row.
Readable = Federation | Row[Any]


def lookup(session: Session, ctx: RequestContext, ident: str) -> Federation:
    """A federation of the caller's project by uuid or name."""
    return find(session, Federation, KIND, ident, ctx)


def target(row: Federation) -> dict[str, Any]:
    """The policy target of a federation: its project."""
    return {"project_id": row.project_id}


def _check_properties(properties: dict[str, str] | None) -> None:
    if properties is None:
        raise exceptions.Invalid("Please specify a `properties` dict for the federation.")
    if properties.get("dns-zone") is None:
        raise exceptions.Invalid("No DNS zone specified. Please specify a `dns-zone`.")


def create(session: Session, ctx: RequestContext, values: dict[str, Any]) -> Federation:
    """Magnum's checks in its order (host, properties, members); then the record."""
    if values.get("hostcluster_id") is None:
        raise exceptions.Invalid("No hostcluster specified. Please specify a hostcluster_id.")
    host = clusters.lookup(session, ctx, values["hostcluster_id"]).uuid
    _check_properties(values.get("properties"))
    members = [clusters.lookup(session, ctx, m).uuid for m in values.get("member_ids") or []]
    row = Federation(
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
    return row


def document(row: Readable) -> dict[str, Any]:
    """The federation as the document a JSON patch applies to."""
    return {
        "uuid": row.uuid,
        "name": row.name,
        "project_id": row.project_id,
        "hostcluster_id": row.hostcluster_id,
        "member_ids": list(row.member_ids or []),
        "status": row.status,
        "status_reason": row.status_reason,
        "properties": dict(row.properties or {}),
    }


def _membership(
    session: Session, ctx: RequestContext, row: Federation, members: list[str], op: str, value: Any
) -> list[str]:
    """Join (``add``) or leave (``remove``) one cluster; the new member list."""
    if op == "add":
        uuid = clusters.lookup(session, ctx, str(value)).uuid
        if uuid in members:
            raise exceptions.Conflict(
                f"A cluster with UUID {uuid} is already a member of the federation {row.name}."
            )
        return [*members, uuid]
    if value in members:  # a member that no longer exists may still leave
        return [m for m in members if m != value]
    clusters.lookup(session, ctx, str(value))  # 404 for a cluster that does not exist
    raise exceptions.NotFound(f"Cluster {value} is not a member of the federation {row.name}.")


def joins_and_leaves(
    session: Session,
    ctx: RequestContext,
    row: Federation,
    ops: Sequence[dict[str, Any]],
    raw: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The patch with each ``add``/``remove`` of a cluster on ``/member_ids`` (as the
    client sent it, ``raw``) turned into a replace of the whole checked member list."""
    members: list[str] = list(row.member_ids or [])
    prepared = []
    for op, item in zip(ops, raw, strict=True):
        value = item.get("value")
        if op["path"] == "/member_ids" and op["op"] in ("add", "remove") and value is not None:
            members = _membership(session, ctx, row, members, op["op"], value)
            op = {"op": "replace", "path": "/member_ids", "value": members}
        prepared.append(op)
    return prepared


def check_changes(changes: set[str]) -> None:
    """Only the members and the properties of a federation may change."""
    refused = sorted(changes - MUTABLE)
    if refused:
        raise exceptions.Invalid(f"cannot change federation property(ies) {', '.join(refused)}.")


def update(row: Federation, checked: dict[str, Any]) -> None:
    """Record the new members and properties."""
    row.member_ids = checked.get("member_ids") or []
    row.properties = checked.get("properties") or {}
    row.status, row.status_reason = Status.UPDATE_COMPLETE, RECORDED


def delete(session: Session, row: Federation) -> None:
    session.delete(row)
