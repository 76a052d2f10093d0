"""Legacy ``/v1/bays`` (below 1.11): clusters under their old name.

The cluster routes do the work; bays rename three fields (``baymodel_id``,
``bay_create_timeout``, ``bay_faults``), need at least one node, answer 1.1
requests with the whole bay, and use the ``bay:*`` policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from moorage.api import microversion, responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, Router, json_body, json_document
from moorage.api.errors import FrameworkError
from moorage.api.responses import documented
from moorage.api.views import clusters
from moorage.api.views.cluster_patch import patch_and_dispatch
from moorage.context import RequestContext
from moorage.db.session import transaction
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import Field, Int, json_schema, parse_body, with_defaults
from moorage.services import clusters as services


def legacy_only(request: Request) -> None:
    """Dependency: bays and baymodels were removed in 1.11; from then on they are unknown paths."""
    if microversion.of(request).at_least(11):
        raise FrameworkError(404)


router = Router(tags=["bays"], dependencies=[Depends(legacy_only)])

COLLECTION = "bays"
# Cluster field name -> the bay's name for it.
ALIASES = {
    "cluster_template_id": "baymodel_id",
    "create_timeout": "bay_create_timeout",
    "faults": "bay_faults",
}
SHOW_KEYS = (
    "uuid",
    "name",
    "cluster_template_id",
    "node_count",
    "master_count",
    "docker_volume_size",
    "labels",
    "master_flavor_id",
    "flavor_id",
    "create_timeout",
    "links",
    "stack_id",
    "status",
    "status_reason",
    "discovery_url",
    "api_address",
    "coe_version",
    "container_version",
    "node_addresses",
    "master_addresses",
    "faults",
    "fixed_network",
    "fixed_subnet",
    "floating_ip_enabled",
    "master_lb_enabled",
    "created_at",
    "updated_at",
)
DETAIL_KEYS = tuple(k for k in SHOW_KEYS if k != "faults")
LIST_KEYS = (
    "uuid",
    "name",
    "cluster_template_id",
    "docker_volume_size",
    "labels",
    "master_flavor_id",
    "flavor_id",
    "node_count",
    "status",
    "create_timeout",
    "master_count",
    "stack_id",
    "links",
)
SCHEMA = {
    **{ALIASES.get(k, k): clusters.SCHEMA[k] for k in SHOW_KEYS},
    "node_count": Field(Int(1), default=1),
}


def _as_bay(body: dict[str, Any]) -> dict[str, Any]:
    return {ALIASES.get(k, k): v for k, v in body.items()}


def _present(
    session: Session, request: Request, rows: Sequence[clusters.Readable], keys: Sequence[str]
) -> list[dict[str, Any]]:
    return [_as_bay(b) for b in clusters.render(session, request, rows, keys, COLLECTION)]


def _legacy_answer(request: Request) -> bool:
    """At 1.1 create and update answer with the whole bay (later: only its uuid)."""
    return not microversion.of(request).at_least(2)


@router.post(
    "/bays",
    status_code=202,
    summary="Create a bay (legacy cluster)",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Bay, 202),
)
def create(
    request: Request,
    response: Response,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    values = with_defaults(parse_body("bay", document, SCHEMA), SCHEMA)
    names_back = {bay: cluster for cluster, bay in ALIASES.items()}
    values = {names_back.get(k, k): v for k, v in values.items()}
    values["merge_labels"] = False
    version = microversion.of(request)
    with transaction() as session:
        row = clusters.create_row(
            session, ctx, version, values, rule="bay:create", missing_template_404=False
        )
        if not _legacy_answer(request):
            return {"uuid": row.uuid}
        body = _present(session, request, [row], SHOW_KEYS)[0]
    response.status_code = 201
    response.headers["Location"] = body["links"][0]["href"]
    return body


def _list(request: Request, ctx: RequestContext, paging: Paging, detail: bool) -> dict[str, Any]:
    return clusters.list_clusters(
        request,
        ctx,
        paging,
        detail,
        name=COLLECTION,
        policy_prefix="bay",
        keys=(LIST_KEYS, DETAIL_KEYS),
        renderer=_present,
    )


router.list_and_detail("/bays", "bays", _list, responses.Bays)


@router.get("/bays/{ident}", summary="Show a bay", **documented(responses.Bay))
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    with transaction() as session:
        row = clusters.visible(session, ctx, ident, "bay", "get")
        return _present(session, request, [row], SHOW_KEYS)[0]


@router.json_patch(
    "/bays/{ident}", "Update a bay (JSON patch)", status_code=202, **documented(responses.Bay, 202)
)
def patch(
    request: Request,
    response: Response,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    flag: bool = Depends(clusters.rollback_flag),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    ops = jsonpatch.parse(document)
    with transaction() as session:
        row = clusters.visible(session, ctx, ident, "bay", "update")
        patch_and_dispatch(session, ctx, microversion.of(request), row, ops, flag, ALIASES)
        if not _legacy_answer(request):
            return {"uuid": row.uuid}
        response.status_code = 200
        return _present(session, request, [row], SHOW_KEYS)[0]


@router.delete("/bays/{ident}", status_code=204, summary="Delete a bay")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    with transaction() as session:
        services.delete(session, ctx, clusters.visible(session, ctx, ident, "bay", "delete"))
    return Response(status_code=204)
