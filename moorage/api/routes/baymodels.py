"""Legacy ``/v1/baymodels`` (below 1.11): cluster templates under their old name.

The template routes do the work; only the names, the policies and a stricter
schema (mandatory key pair, one IPv4 name server, string labels) differ.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import Depends, Request, Response

from moorage import exceptions
from moorage.api import responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, Router, json_body, json_document
from moorage.api.responses import documented
from moorage.api.routes.bays import legacy_only
from moorage.api.views import templates
from moorage.context import RequestContext
from moorage.objects.fields import Field, Labels, Str, json_schema

router = Router(tags=["baymodels"], dependencies=[Depends(legacy_only)])


class IPv4(Str):
    """A single IPv4 address (the old ``dns_nameserver``)."""

    def check(self, name: str, value: Any, coerce: bool) -> str:
        text = super().check(name, value, coerce)
        try:
            ipaddress.IPv4Address(text)
        except ValueError as exc:
            raise exceptions.InvalidInput(name, value, "Value should be IPv4 format") from exc
        return text


class StrLabels(Labels):
    """Labels whose values must already be strings."""

    def check(self, name: str, value: Any, coerce: bool) -> dict[str, str]:
        for item in value.values() if isinstance(value, dict) else ():
            if not isinstance(item, str):
                raise exceptions.InvalidInput(
                    name, value, f"Wrong type. Expected '<class 'str'>', got '{type(item)}'"
                )
        return super().check(name, value, coerce)


BAYMODEL = templates.Flavour(
    argname="baymodel",
    collection="baymodels",
    policy="baymodel",
    name_kind="model",
    schema={
        **templates.SCHEMA,
        "keypair_id": Field(Str(1, 255), mandatory=True),
        "dns_nameserver": Field(IPv4(1, 255)),
        "labels": Field(StrLabels()),
    },
)
BayModel = responses.from_schema("BayModel", BAYMODEL.schema)
BayModels = responses.page("BayModels", "baymodels", BayModel)


@router.post(
    "/baymodels",
    status_code=201,
    summary="Create a baymodel (legacy cluster template)",
    openapi_extra=json_body(json_schema(BAYMODEL.schema)),
    **documented(BayModel, 201),
)
def create(
    request: Request,
    response: Response,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    body = templates.create_from(request, ctx, document, BAYMODEL)
    response.headers["Location"] = body["links"][0]["href"]
    return body


def _list(request: Request, ctx: RequestContext, paging: Paging, detail: bool) -> dict[str, Any]:
    return templates.list_of(request, ctx, paging, detail, BAYMODEL)


router.list_and_detail("/baymodels", "baymodels", _list, BayModels)


@router.get("/baymodels/{ident}", summary="Show a baymodel", **documented(BayModel))
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    return templates.show(request, ctx, ident, BAYMODEL)


@router.json_patch("/baymodels/{ident}", "Update a baymodel (JSON patch)", **documented(BayModel))
def patch(
    request: Request,
    ident: str,
    ctx: RequestContext = Depends(context_from),
    document: Any = Depends(json_document),
) -> dict[str, Any]:
    return templates.patch_from(request, ctx, ident, document, BAYMODEL)


@router.delete("/baymodels/{ident}", status_code=204, summary="Delete a baymodel")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    return templates.delete_by(ctx, ident, BAYMODEL)
