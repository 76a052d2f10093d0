"""Queries every resource shares: project scope, lookup by name or uuid, paging."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import JSON, Row, Select, and_, bindparam, case, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.context import RequestContext
from moorage.db import models
from moorage.objects.fields import is_uuid_like

M = TypeVar("M", bound=models.Base)


def scoped(stmt: Select[Any], model: type[models.Base], ctx: RequestContext) -> Select[Any]:
    """Limit a query to what the caller may see.

    Only an admin context widened by an ``*_all_projects`` policy sees every
    project; templates add the public ones (hidden ones for admins only).
    """
    scope = _scope_of(model, ctx)
    owner = getattr(ctx, scope.owner) if scope.owner else None
    clause = _visible(model, scope, owner)
    return stmt if clause is None else stmt.where(clause)


@dataclass(frozen=True)
class _Scope:
    """Which rows of a model a caller sees: those whose ``owner`` column (``project_id``
    or ``user_id``) is the caller's, or all when None; templates add the public ones,
    the hidden among them with ``hidden``."""

    owner: str | None
    public: bool = False
    hidden: bool = False


def _scope_of(model: type[models.Base], ctx: RequestContext) -> _Scope:
    if ctx.all_projects or (model is models.NodeGroup and ctx.is_admin):
        return _Scope(None)
    owner = "user_id" if ctx.project_id is None and hasattr(model, "user_id") else "project_id"
    if model is models.ClusterTemplate:
        return _Scope(owner, public=True, hidden=ctx.is_admin)
    return _Scope(owner)


def _visible(model: type[models.Base], scope: _Scope, owner: Any) -> Any:
    """The scope's condition, the owner a value or a bound parameter; None for all rows."""
    if scope.owner is None:
        return None
    clause = getattr(model, scope.owner) == owner
    if not scope.public:
        return clause
    public: Any = models.ClusterTemplate.public.is_(True)
    if not scope.hidden:
        public = and_(public, models.ClusterTemplate.hidden.is_(False))
    return or_(clause, public)


def find(
    session: Session,
    model: type[M],
    kind: str,
    ident: str,
    ctx: RequestContext,
    *,
    extra: Any = None,
    by_id: bool = False,
) -> M:
    """One row by uuid (uuid-shaped ident), integer id (where allowed) or name.

    A name that matches several visible rows is a 409, as in Magnum.
    """
    stmt = scoped(select(model), model, ctx)
    if extra is not None:
        stmt = stmt.where(extra)
    if is_uuid_like(ident):
        stmt = stmt.where(model.uuid == ident.lower())  # type: ignore[attr-defined]
    elif by_id and ident.isdigit():
        stmt = stmt.where(model.id == int(ident))  # type: ignore[attr-defined]
    else:
        stmt = stmt.where(model.name == ident)  # type: ignore[attr-defined]
    rows = session.scalars(stmt.limit(2)).all()
    if not rows:
        raise exceptions.ResourceNotFound(kind, ident)
    if len(rows) > 1:
        raise exceptions.Conflict(
            f"Multiple {kind.lower()}s exist with same name '{ident}'. "
            f"Please use the {kind.lower()} UUID instead."
        )
    return rows[0]


@dataclass(frozen=True)
class Page:
    limit: int
    marker: str | None
    sort_key: str
    sort_dir: str


def paginate(
    session: Session,
    stmt: Select[Any],
    model: type[M],
    page: Page,
    marker_row: M | None,
) -> list[M]:
    """Keyset page of ``model`` objects after ``marker_row``, ordered by (sort_key, id)."""
    marker = None
    if marker_row is not None:
        marker = (getattr(marker_row, page.sort_key), marker_row.id)  # type: ignore[attr-defined]
    stmt = _page_of(stmt, model, page.sort_key, page.sort_dir, marker, page.limit)
    return list(session.scalars(stmt).all())


def page_rows(
    session: Session, model: type[M], ctx: RequestContext, page: Page, marker_row: M | None
) -> list[Row[Any]]:
    """The page of ``columns_of(model)`` that ``ctx`` sees, as plain rows, for pages that
    are only read and presented.

    Plain rows: building ORM objects (identity map, instance state) was a fifth of the
    time of a 100-cluster page. One statement per shape of page (model, scope, order,
    kind of marker), its values bound as parameters: building a statement and working
    out its cache key on every request cost as much as running it (235 us of a
    20-template page).
    """
    scope = _scope_of(model, ctx)
    owner = getattr(ctx, scope.owner) if scope.owner else None
    params: dict[str, Any] = {"page_limit": page.limit, "owner": owner}
    null_marker = None
    if marker_row is not None:
        value = getattr(marker_row, page.sort_key)
        null_marker = value is None
        params.update(marker_value=value, marker_id=marker_row.id)  # type: ignore[attr-defined]
    stmt = _page_statement(model, scope, owner is None, page.sort_key, page.sort_dir, null_marker)
    return list(session.execute(stmt, params).all())


@functools.lru_cache(maxsize=512)
def _page_statement(
    model: type[M],
    scope: _Scope,
    null_owner: bool,
    sort_key: str,
    sort_dir: str,
    null_marker: bool | None,
) -> Select[Any]:
    """``null_marker``: None without a marker, else whether the marker's sort value is
    NULL; a NULL owner is ``IS NULL`` as in ``scoped``, not ``= NULL``."""
    stmt = columns_of(model)
    clause = _visible(model, scope, None if null_owner else bindparam("owner"))
    if clause is not None:
        stmt = stmt.where(clause)
    marker: tuple[Any, Any] | None = None
    if null_marker is not None:
        marker = (None if null_marker else bindparam("marker_value"), bindparam("marker_id"))
    return _page_of(stmt, model, sort_key, sort_dir, marker, bindparam("page_limit"))


@functools.cache
def columns_of(model: type[models.Base]) -> Select[Any]:
    """``select`` of every mapped column (each column is named as its attribute).

    The table's own columns, not the ORM attributes, and one statement per model:
    a result of ORM-annotated columns is matched to the cached compiled statement
    column by column on every execution, which was half the time of a 20-row page.
    """
    table = model.__table__
    return select(*(table.c[attr.key] for attr in sa_inspect(model).column_attrs))


def _page_of(
    stmt: Select[Any],
    model: type[M],
    sort_key: str,
    sort_dir: str,
    marker: tuple[Any, Any] | None,
    limit: Any,
) -> Select[Any]:
    """Ordered by (sort_key, id), after ``marker`` (its sort value and id, values or
    bound parameters). NULLs sort first ascending and last descending on every backend
    (the ordering is spelled out because PostgreSQL and MariaDB disagree by default)."""
    column = getattr(model, sort_key)
    ident = model.id  # type: ignore[attr-defined]
    desc = sort_dir == "desc"
    is_set = case((column.is_(None), 0), else_=1)
    if marker is not None:
        stmt = stmt.where(_after(column, ident, *marker, desc))
    if desc:
        order = (is_set.desc(), column.desc(), ident.desc())
    else:
        order = (is_set.asc(), column.asc(), ident.asc())
    return stmt.order_by(*order).limit(limit)


def _after(column: Any, ident: Any, value: Any, row_id: Any, desc: bool) -> Any:
    if value is None:
        same = and_(column.is_(None), ident < row_id if desc else ident > row_id)
        return same if desc else or_(same, column.is_not(None))
    if desc:
        later = or_(column < value, and_(column == value, ident < row_id))
        return or_(and_(column.is_not(None), later), column.is_(None))
    return and_(column.is_not(None), or_(column > value, and_(column == value, ident > row_id)))


def sortable(model: type[models.Base]) -> set[str]:
    """Columns a list may be sorted by: not JSON ones, which PostgreSQL cannot order."""
    return {c.key for c in model.__table__.columns if not isinstance(c.type, JSON)}


def count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
