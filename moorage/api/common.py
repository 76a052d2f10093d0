"""Helpers every route uses: body reading, links, query checks, paging."""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import limits, policy
from moorage.api.auth import context_from
from moorage.api.responses import documented
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import Page, find, page_rows, sortable
from moorage.db.session import reading
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import is_uuid_like

M = TypeVar("M", bound=models.Base)


# Where a request keeps its base URL: every item of a page links to it.
_BASE_URL = "moorage.base_url"


def base_url(request: Request) -> str:
    """Scheme and host the client used, honouring a proxy's X-Forwarded-* headers."""
    base: str | None = request.scope.get(_BASE_URL)
    if base is None:
        headers = request.headers
        proto = headers.get("x-forwarded-proto") or request.url.scheme
        host = headers.get("x-forwarded-host") or headers.get("host") or request.url.netloc
        prefix = headers.get("x-forwarded-prefix", "").rstrip("/")
        base = request.scope[_BASE_URL] = f"{proto}://{host}{prefix}"
    return base


def links(request: Request, collection: str, uuid: str) -> list[dict[str, str]]:
    base = base_url(request)
    return [
        {"href": f"{base}/v1/{collection}/{uuid}", "rel": "self"},
        {"href": f"{base}/{collection}/{uuid}", "rel": "bookmark"},
    ]


async def read_json(request: Request, *, optional: bool = False) -> Any:
    """The JSON body, with Magnum's 400/415 answers for anything else.

    Too large a body is a 413, too deep a document a 400 (``moorage.api.limits``).
    """
    raw = await limits.read_body(request)
    if not raw.strip():
        if optional:
            return None
        raise exceptions.Invalid("Request is not in valid JSON format")
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        if optional and ctype == "application/octet-stream":
            return None
        raise exceptions.UnsupportedMediaType(f"Unknown mimetype: {ctype}")
    try:
        document = json.loads(raw)
    except RecursionError as exc:
        raise limits.too_deep() from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise exceptions.Invalid("Request is not in valid JSON format") from exc
    limits.check_depth(document)
    return document


async def json_document(request: Request) -> Any:
    """Dependency: the JSON body (``read_json``), awaited on the event loop.

    With the body read here a route can be a plain ``def``, which FastAPI runs in
    its thread pool, where database work may block without stopping other requests.
    Declare it after the context, so that authentication is answered first.
    """
    return await read_json(request)


async def optional_json_document(request: Request) -> Any:
    """Dependency: ``json_document`` for routes whose clients may send no body."""
    return await read_json(request, optional=True)


async def reject_unknown_args(request: Request) -> None:
    """Router dependency: a query parameter the route does not declare is a 400.

    ``async`` because it only reads the request: a plain ``def`` dependency costs a
    trip through the thread pool on every request of every /v1 route.
    """
    if not request.scope.get("query_string"):
        return
    declared = _declared(request.scope.get("route"))
    for name in request.query_params:
        if name not in declared:
            raise exceptions.Invalid(f'Unknown argument: "{name}"')


# Where a route keeps its query names, worked out on its first request: walking the
# dependency tree on every request was a thirtieth of a template list's time.
_DECLARED = "_moorage_query_names"


def _declared(route: Any) -> frozenset[str]:
    names: frozenset[str] | None = getattr(route, _DECLARED, None)
    if names is None:
        dependant = getattr(route, "dependant", None)
        names = _query_names(dependant) if dependant is not None else frozenset()
        if route is not None:
            setattr(route, _DECLARED, names)
    return names


def json_body(schema: Any, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself."""
    return {
        "requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}
    }


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def page(
    model: type[models.Base],
    limit: int | None,
    marker: str | None,
    sort_key: str | None,
    sort_dir: str | None,
    *,
    uuid_marker: bool = True,
) -> Page:
    if limit is not None and limit <= 0:
        raise exceptions.Invalid("Limit must be positive")
    effective = min(limit or CONF.api.max_limit, CONF.api.max_limit)
    direction = sort_dir or "asc"
    if direction not in ("asc", "desc"):
        raise exceptions.Invalid(
            f"Invalid sort direction: {direction}. Acceptable values are 'asc' or 'desc'"
        )
    key = sort_key or "id"
    if key not in sortable(model):
        raise exceptions.Invalid(f'The sort_key value "{key}" is an invalid field for sorting')
    if marker is not None and uuid_marker and not is_uuid_like(marker):
        raise exceptions.InvalidInput(
            "marker",
            marker,
            f"unable to convert to uuid. Error: Expected a uuid but received {marker}.",
        )
    return Page(limit=effective, marker=marker, sort_key=key, sort_dir=direction)


@dataclass
class Paging:
    """Dependency (``Depends(from_query(Paging))``): the paging query parameters every
    collection takes.

    One declaration keeps the parameter names, their OpenAPI entries and the
    checks of their values the same on every list route.
    """

    limit: int | None = None
    marker: str | None = None
    sort_key: str | None = None
    sort_dir: str | None = None

    def page(self, model: type[models.Base], *, uuid_marker: bool = True) -> Page:
        """The checked page; Magnum's 400s for a bad limit, direction, key or marker.

        The marker is passed on as text, also where a subclass declares it an integer id.
        """
        marker = None if self.marker is None else str(self.marker)
        return page(
            model, self.limit, marker, self.sort_key, self.sort_dir, uuid_marker=uuid_marker
        )


P = TypeVar("P")


@functools.cache
def from_query(kind: type[P]) -> Callable[..., Awaitable[P]]:
    """A dependency that builds ``kind`` (a dataclass of query parameters) from the
    query on the event loop: FastAPI sends a class given to ``Depends`` through
    the thread pool, one trip for a few assignments."""

    async def build(**params: Any) -> P:
        return kind(**params)

    build.__signature__ = inspect.signature(kind, eval_str=True)  # type: ignore[attr-defined]
    build.__name__ = build.__qualname__ = kind.__name__
    return build


def listing(
    request: Request,
    ctx: RequestContext,
    paging: Paging,
    model: type[M],
    kind: str,
    present: Callable[[Session, list[Row[Any]]], list[dict[str, Any]]],
    *,
    name: str,
    policy_prefix: str,
    detail: bool,
    all_projects: bool = True,
) -> dict[str, Any]:
    """One page of the ``model`` rows ``ctx`` may see, as collection ``name`` with ``next``.

    ``present`` gets plain rows (``columns_of``), not ORM objects: attribute access is
    the same, but a page is read, never changed.

    Shared so that every collection checks policy (``<policy_prefix>:get_all`` or
    ``:detail``), then paging, before any lookup, finds its marker like any ident
    (404 for an unknown one) and links ``next`` the same way. With
    ``all_projects`` admins see every project's rows (``<rule>_all_projects``).
    """
    rule = f"{policy_prefix}:{'detail' if detail else 'get_all'}"
    policy.authorize(ctx, rule)
    if all_projects:
        ctx = policy.widen_for_admin(ctx, rule + "_all_projects")
    pg = paging.page(model)
    with reading() as session:
        marker = find(session, model, kind, pg.marker, ctx) if pg.marker else None
        rows = page_rows(session, model, ctx, pg, marker)
        items = present(session, rows)
    path = name + ("/detail" if detail else "")
    return collection(name, items, next_link(request, path, rows, pg))


ListHandler = Callable[[Request, RequestContext, Paging, bool], dict[str, Any]]


# What orjson leaves to the encoder, so that such values come out as FastAPI writes them.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_response(content: Any) -> Response:
    """``content`` as FastAPI would answer it, written by orjson.

    The bodies routes build are plain dicts, lists, strings and numbers. FastAPI walks
    them through ``jsonable_encoder`` (a recursive walk with a dozen type checks per
    value) and ``json.dumps``; for those values orjson writes the same bytes (compact,
    UTF-8) about fifteen times faster: 22 against 330 us for a page of 100 clusters.
    Anything orjson leaves alone (a datetime, a model, an integer of more than 64
    bits, a key that is not a string) takes FastAPI's way.
    """
    if isinstance(content, Response):
        return content
    try:
        return Response(
            orjson.dumps(content, option=_ORJSON_OPTIONS), media_type=JSONResponse.media_type
        )
    except TypeError:  # orjson.JSONEncodeError
        return JSONResponse(jsonable_encoder(content))


def _answers_plain_json(endpoint: Callable[..., Any], route: dict[str, Any]) -> bool:
    """A route whose answer ``json_response`` may build: a plain ``def`` (run in the
    thread pool) answering GET with 200 and its default response class, with no
    ``Response`` parameter whose headers or status FastAPI would have to merge."""
    if inspect.iscoroutinefunction(endpoint) or set(route.get("methods") or ()) != {"GET"}:
        return False
    if route.get("status_code") not in (None, 200):
        return False
    if not isinstance(route.get("response_class", DefaultPlaceholder(None)), DefaultPlaceholder):
        return False
    hints = typing.get_type_hints(endpoint)
    return not any(isinstance(kind, type) and issubclass(kind, Response) for kind in hints.values())


def _plain_json(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def answer(*args: Any, **kwargs: Any) -> Response:
        return json_response(endpoint(*args, **kwargs))

    return answer


class Router(APIRouter):
    """An APIRouter that declares the route kinds every collection repeats, once, and
    answers its GET routes through ``json_response``."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **route: Any) -> None:
        if _answers_plain_json(endpoint, route):
            endpoint = _plain_json(endpoint)
        super().add_api_route(path, endpoint, **route)

    def json_patch(
        self, path: str, summary: str, status_code: int | None = None, **route: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Decorator for ``PATCH <path>`` with a JSON patch body the route reads itself.

        One place for what every JSON patch route tells OpenAPI (and so the fuzz test).
        """
        return self.patch(
            path,
            status_code=status_code,
            summary=summary,
            openapi_extra=json_body(jsonpatch.JSON_SCHEMA),
            **route,
        )

    def list_and_detail(
        self, path: str, noun: str, handler: ListHandler, model: type[BaseModel]
    ) -> None:
        """Declare Magnum's pair ``GET <path>`` and ``GET <path>/detail``.

        ``handler`` gets ``detail`` False or True. Call it where the routes belong:
        before ``<path>/{ident}``, which would otherwise take ``detail`` for an ident.
        The endpoints keep the names ``get_all`` and ``detail`` (the OpenAPI
        operation ids) and have no docstring (it would become their description).
        ``model`` documents the collection both answer.
        """
        doc = documented(model)
        self.get(path, summary=f"List {noun}", **doc)(_list_endpoint("get_all", handler, False))
        detail = _list_endpoint("detail", handler, True)
        self.get(f"{path}/detail", summary=f"List {noun} with every field", **doc)(detail)


def _list_endpoint(name: str, handler: ListHandler, detail: bool) -> Callable[..., dict[str, Any]]:
    """A list endpoint named ``name``: FastAPI reads its parameters and makes its operation id."""

    def endpoint(
        request: Request,
        paging: Paging = Depends(from_query(Paging)),
        ctx: RequestContext = Depends(context_from),
    ) -> dict[str, Any]:
        return handler(request, ctx, paging, detail)

    endpoint.__name__ = endpoint.__qualname__ = name
    return endpoint


def next_link(
    request: Request, path: str, items: Sequence[Any], pg: Page, marker_attr: str = "uuid"
) -> str | None:
    """Magnum's ``next`` URL: present only when the page is full."""
    if not items or len(items) < pg.limit:
        return None
    last = getattr(items[-1], marker_attr)
    return (
        f"{base_url(request)}/v1/{path}?sort_key={pg.sort_key}&sort_dir={pg.sort_dir}"
        f"&limit={pg.limit}&marker={last}"
    )


def fields_of(row: Any, keys: Sequence[str]) -> dict[str, Any]:
    """``keys`` of a plain row or an ORM object, in that order.

    A row is read through its mapping: by name, a row's attribute costs about ten
    times a mapping's key, and a page of 20 templates reads 700 of them; the mapping
    also costs a third of ``_asdict()``, which builds a dict of every column first.
    """
    if isinstance(row, Row):
        values = row._mapping
        return {key: values[key] for key in keys}
    return {key: getattr(row, key) for key in keys}


def collection(key: str, items: list[dict[str, Any]], next_url: str | None) -> dict[str, Any]:
    """A collection body; ``next`` appears only when there is a next page."""
    body: dict[str, Any] = {key: items}
    if next_url is not None:
        body["next"] = next_url
    return body


def iso(value: Any) -> str | None:
    """Timestamps as ISO 8601 with a UTC offset, as Magnum renders them."""
    return None if value is None else value.isoformat() + "+00:00"
