"""Quotas: the rows that set a project's cluster limit, managed by admins.

The limit a cluster create is held to is ``db.quotas.cluster_limit``; this module is
what the quota routes do with the rows: find, page, create, change and remove them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import Page, paginate, scoped
from moorage.db.quotas import CLUSTER, default_limit, find
from moorage.objects.fields import DB_INT_MAX

__all__ = ["CLUSTER", "default_limit", "find"]

# The row this service hands out; routes name its type through here.
Quota = models.Quota
RESOURCES = (CLUSTER,)
DEFAULT_HARD_LIMIT = 1


def _not_found(what: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"Quota could not be found: {what}.")


def lookup(session: Session, project_id: str, resource: str) -> Quota:
    """The quota row of ``(project_id, resource)``; a missing one is a 404."""
    row = find(session, project_id, resource)
    if row is None:
        raise _not_found(f"project_id {project_id} resource {resource}")
    return row


def _marker_row(session: Session, marker: int) -> Quota:
    """Any project's row, as Magnum: clients drop all_tenants from ``next``."""
    # Beyond DB_INT_MAX no row can match (and SQLite overflows).
    row = session.get(Quota, marker) if 0 < marker <= DB_INT_MAX else None
    if row is None:
        raise _not_found(f"quota id {marker} ")
    return row


def page(session: Session, ctx: RequestContext, pg: Page, marker: int | None) -> Sequence[Quota]:
    """One page of the quota rows ``ctx`` may see, after the row whose id is ``marker``."""
    marker_row = None if marker is None else _marker_row(session, marker)
    stmt = scoped(select(Quota), Quota, ctx)
    return paginate(session, stmt, Quota, pg, marker_row)


def _limit(hard_limit: int | None) -> int:
    """An omitted ``hard_limit`` means 1, as in Magnum (not the configured default)."""
    return DEFAULT_HARD_LIMIT if hard_limit is None else hard_limit


def create(session: Session, project_id: str, resource: str, hard_limit: int | None) -> Quota:
    """A new quota row; one per project and resource."""
    duplicate = exceptions.Conflict(
        f"Quota for project {project_id} already exists for resource {resource}."
    )
    if find(session, project_id, resource) is not None:
        raise duplicate
    row = Quota(project_id=project_id, resource=resource, hard_limit=_limit(hard_limit))
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # created concurrently
        raise duplicate from exc
    return row


def update(session: Session, project_id: str, resource: str, hard_limit: int | None) -> Quota:
    """Set the limit of an existing quota row."""
    row = lookup(session, project_id, resource)
    row.hard_limit = _limit(hard_limit)
    session.flush()
    return row


def delete(session: Session, project_id: str, resource: str) -> None:
    session.delete(lookup(session, project_id, resource))
