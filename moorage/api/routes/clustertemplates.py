"""``/v1/clustertemplates``: the blueprints clusters are made from."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.common import Paging, Router, iso, json_body, json_document, links, listing
from moorage.api.responses import documented
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import find
from moorage.db.session import transaction
from moorage.drivers import providers, registry
from moorage.objects import names, template_rules
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import (
    Bool,
    Enum,
    Field,
    Int,
    Labels,
    Schema,
    Str,
    Uuid,
    json_schema,
    parse_body,
)

router = Router(tags=["clustertemplates"])

KIND = "ClusterTemplate"
COLLECTION = "clustertemplates"

SCHEMA: Schema = {
    "uuid": Field(Uuid()),
    "name": Field(Str(1, 255)),
    "coe": Field(Enum(template_rules.COES)),
    "image_id": Field(Str(1, 255), mandatory=True),
    "cluster_distro": Field(Str(1, 255)),
    "flavor_id": Field(Str(1, 255)),
    "master_flavor_id": Field(Str(1, 255)),
    "keypair_id": Field(Str(1, 255)),
    "external_network_id": Field(Str(1, 255)),
    "fixed_network": Field(Str(1, 255)),
    "fixed_subnet": Field(Str(1, 255)),
    "dns_nameserver": Field(Str(1, 255)),
    "network_driver": Field(Str(1, 255)),
    "volume_driver": Field(Str(1, 255)),
    "apiserver_port": Field(Int(1024, 65535)),
    "docker_volume_size": Field(Int(1)),
    "docker_storage_driver": Field(Str(1, 255)),
    "http_proxy": Field(Str(1, 255)),
    "https_proxy": Field(Str(1, 255)),
    "no_proxy": Field(Str(1, 255)),
    "registry_enabled": Field(Bool()),
    "insecure_registry": Field(Str(1, 255)),
    "labels": Field(Labels()),
    "tls_disabled": Field(Bool()),
    "public": Field(Bool()),
    "hidden": Field(Bool()),
    "server_type": Field(Enum(template_rules.SERVER_TYPES)),
    "master_lb_enabled": Field(Bool()),
    "floating_ip_enabled": Field(Bool()),
    "tags": Field(Str(0, 255)),
    "driver": Field(Str(1, 255)),
    "project_id": Field(Str(), readonly=True),
    "user_id": Field(Str(), readonly=True),
    "links": Field(Str(), readonly=True),
    "created_at": Field(Str(), readonly=True),
    "updated_at": Field(Str(), readonly=True),
}
DEFAULTS: dict[str, Any] = {
    "registry_enabled": False,
    "tls_disabled": False,
    "public": False,
    "hidden": False,
    "server_type": "vm",
    "master_lb_enabled": False,
    "floating_ip_enabled": True,
    "labels": {},
}
ClusterTemplate = responses.from_schema("ClusterTemplate", SCHEMA)
ClusterTemplates = responses.page("ClusterTemplates", "clustertemplates", ClusterTemplate)

COLUMNS = tuple(k for k in SCHEMA if k not in ("links", "created_at", "updated_at"))
FLAVOR_KEYS = ("flavor_id", "master_flavor_id")
NOT_REMOVABLE = (
    "image_id",
    "coe",
    "network_driver",
    "external_network_id",
    "tls_disabled",
    "public",
    "server_type",
    "registry_enabled",
    "cluster_distro",
    "hidden",
)


@dataclass(frozen=True)
class Flavour:
    """What the legacy ``/baymodels`` routes change: names, policies and the schema."""

    argname: str = "cluster_template"
    collection: str = COLLECTION
    policy: str = "clustertemplate"
    name_kind: str = "template"
    schema: Schema = field(default_factory=lambda: SCHEMA)


TEMPLATE = Flavour()


def view(
    request: Request, row: models.ClusterTemplate, flavour: Flavour = TEMPLATE
) -> dict[str, Any]:
    """The 36 keys Magnum renders for a template, in list, show and update alike."""
    body = {key: getattr(row, key) for key in COLUMNS}
    body["labels"] = row.labels or {}
    body["links"] = links(request, flavour.collection, row.uuid)
    body["created_at"] = iso(row.created_at)
    body["updated_at"] = iso(row.updated_at)
    return body


def resolve_driver(values: dict[str, Any], image_driver: str | None, os_distro: str) -> str:
    """Explicit driver, else the image's, else the configured default, else by tuple."""
    name = values.get("driver") or image_driver or CONF.drivers.default_driver
    resolved = registry.resolve(name, values["server_type"], os_distro, values["coe"])
    registry.get_by_name(resolved).validate_template(values)
    return resolved


def _validate_content(values: dict[str, Any]) -> None:
    coe = template_rules.check_coe(values.get("coe"))
    if not values.get("network_driver"):
        values["network_driver"] = template_rules.default_network_driver(coe)
    template_rules.check_drivers(coe, values.get("network_driver"), values.get("volume_driver"))
    template_rules.check_volume_size(
        values.get("docker_storage_driver"), values.get("docker_volume_size")
    )
    template_rules.check_dns(values.get("dns_nameserver"))
    providers.check(values.get("labels") or {})


def _check_publish(ctx: RequestContext, flavour: Flavour) -> None:
    if not policy.check(ctx, f"{flavour.policy}:publish"):
        raise exceptions.NotAuthorized(
            "Not authorized to set public or hidden flag for cluster template."
        )


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


def create_from(
    request: Request, ctx: RequestContext, document: Any, flavour: Flavour
) -> dict[str, Any]:
    values = parse_body(flavour.argname, document, flavour.schema)
    # Magnum checks each flavor key present in the body, a null one too.
    flavors = [values[key] for key in FLAVOR_KEYS if key in values]
    values = {**DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    _validate_content(values)
    image = template_rules.check_resources(values)
    values["driver"] = resolve_driver(values, image.driver, image.os_distro)
    policy.authorize(ctx, f"{flavour.policy}:create")
    values["cluster_distro"] = image.os_distro
    if values["public"] or values["hidden"]:
        _check_publish(ctx, flavour)
    template_rules.check_flavors(values["labels"], *flavors)
    values.setdefault("name", names.generate(flavour.name_kind))
    # Stored lowercase: lookups by uuid compare lowercase.
    values["uuid"] = str(values.get("uuid", "")).lower() or str(uuidlib.uuid4())
    with transaction() as session:
        if session.scalar(
            select(models.ClusterTemplate.id).where(models.ClusterTemplate.uuid == values["uuid"])
        ):
            raise exceptions.DuplicateUuid(KIND, values["uuid"])
        row = models.ClusterTemplate(**values, project_id=ctx.project_id, user_id=ctx.user_id)
        session.add(row)
        session.flush()
        return view(request, row, flavour)


def list_of(
    request: Request, ctx: RequestContext, paging: Paging, detail: bool, flavour: Flavour = TEMPLATE
) -> dict[str, Any]:
    return listing(
        request,
        ctx,
        paging,
        models.ClusterTemplate,
        KIND,
        lambda _session, rows: [view(request, row, flavour) for row in rows],
        name=flavour.collection,
        policy_prefix=flavour.policy,
        detail=detail,
    )


router.list_and_detail("/clustertemplates", "cluster templates", list_of, ClusterTemplates)


def lookup(session: Session, ctx: RequestContext, ident: str) -> models.ClusterTemplate:
    """A visible template by name or uuid; admins see every project's."""
    return find(session, models.ClusterTemplate, KIND, ident, ctx)


def _target(row: models.ClusterTemplate) -> dict[str, Any]:
    return {"project_id": row.project_id, "user_id": row.user_id}


@router.get(
    "/clustertemplates/{ident}", summary="Show a cluster template", **documented(ClusterTemplate)
)
def get_one(
    request: Request, ident: str, ctx: RequestContext = Depends(context_from)
) -> dict[str, Any]:
    return show(request, ctx, ident, TEMPLATE)


def show(request: Request, ctx: RequestContext, ident: str, flavour: Flavour) -> dict[str, Any]:
    ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:get_one_all_projects")
    with transaction() as session:
        row = lookup(session, ctx, ident)
        if not row.public:
            policy.authorize(ctx, f"{flavour.policy}:get", _target(row))
        return view(request, row, flavour)


def _referenced(session: Session, row: models.ClusterTemplate) -> bool:
    stmt = select(models.Cluster.id).where(models.Cluster.cluster_template_id == row.uuid).limit(1)
    return session.scalar(stmt) is not None


def _allowed_on_referenced(changes: set[str], after: dict[str, Any]) -> bool:
    """A template in use may only be renamed, published, hidden or re-tagged."""
    if len(changes) != 1:
        return False
    (attr,) = changes
    return (
        attr in ("name", "hidden")
        or (attr == "public" and after["public"] is True)
        or (attr == "tags" and after["tags"] is not None)
    )


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


def patch_from(
    request: Request, ctx: RequestContext, ident: str, document: Any, flavour: Flavour
) -> dict[str, Any]:
    ops = jsonpatch.parse(document)
    with transaction() as session:
        # Looked up in the caller's own scope first, as Magnum does: even an admin
        # gets 404 for another project's private template here.
        row = lookup(session, ctx, ident)
        ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:update_all_projects")
        policy.authorize(ctx, f"{flavour.policy}:update", _target(row))
        before = {key: getattr(row, key) for key in COLUMNS}
        after = jsonpatch.apply(before, ops, mandatory=NOT_REMOVABLE)
        after = _revalidate(after, flavour)
        changes = jsonpatch.changed(before, after)
        if {"public", "hidden"} & changes:
            _check_publish(ctx, flavour)
        # Both flavors, as Magnum: a template without one cannot be patched (flavor None).
        template_rules.check_flavors(after["labels"], *(after[key] for key in FLAVOR_KEYS))
        if changes and _referenced(session, row) and not _allowed_on_referenced(changes, after):
            raise exceptions.TemplateReferenced(ident)
        for key in changes:
            setattr(row, key, after[key])
        session.flush()
        return view(request, row, flavour)


def _revalidate(doc: dict[str, Any], flavour: Flavour) -> dict[str, Any]:
    """Check a patched template with the create-time types and content rules."""
    fixed = ("uuid", "project_id", "user_id")
    checked = parse_body(
        flavour.argname,
        {k: v for k, v in doc.items() if k not in fixed and v is not None},
        flavour.schema,
        coerce=False,
    )
    result = {
        **{k: doc[k] for k in fixed},
        **{k: None for k in COLUMNS if k not in fixed},
        **checked,
    }
    result["labels"] = result.get("labels") or {}
    _validate_content(result)
    image = template_rules.check_resources(result)
    result["driver"] = resolve_driver(result, image.driver, image.os_distro)
    result["cluster_distro"] = image.os_distro
    return result


@router.delete("/clustertemplates/{ident}", status_code=204, summary="Delete a cluster template")
def delete(ident: str, ctx: RequestContext = Depends(context_from)) -> Response:
    return delete_by(ctx, ident, TEMPLATE)


def delete_by(ctx: RequestContext, ident: str, flavour: Flavour) -> Response:
    ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:delete_all_projects")
    with transaction() as session:
        row = lookup(session, ctx, ident)
        policy.authorize(ctx, f"{flavour.policy}:delete", _target(row))
        if _referenced(session, row):
            raise exceptions.TemplateReferenced(ident)
        session.delete(row)
    return Response(status_code=204)
