"""What the cluster template routes and the legacy baymodel routes share: the request
fields, the representation and the flows of create, list, show, patch and delete.

A baymodel is a template under other names (a ``Flavour``); the flows here parse,
authorise and present, and leave the lookups, rules and rows to
``services.templates``.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response

from moorage import exceptions
from moorage.api import policy
from moorage.api.common import Paging, fields_of, iso, links, listing
from moorage.context import RequestContext
from moorage.objects import names, template_rules
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import Bool, Enum, Field, Int, Labels, Schema, Str, Uuid, parse_body
from moorage.services import reading, templates, transaction
from moorage.services.templates import Template

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


def view(request: Request, row: templates.Readable, flavour: Flavour = TEMPLATE) -> dict[str, Any]:
    """The 36 keys Magnum renders for a template, in list, show and update alike."""
    body = fields_of(row, COLUMNS)
    body["labels"] = row.labels or {}
    body["links"] = links(request, flavour.collection, row.uuid)
    body["created_at"] = iso(row.created_at)
    body["updated_at"] = iso(row.updated_at)
    return body


def _check_publish(ctx: RequestContext, flavour: Flavour) -> None:
    if not policy.check(ctx, f"{flavour.policy}:publish"):
        raise exceptions.NotAuthorized(
            "Not authorized to set public or hidden flag for cluster template."
        )


def create_from(
    request: Request, ctx: RequestContext, document: Any, flavour: Flavour
) -> dict[str, Any]:
    values = parse_body(flavour.argname, document, flavour.schema)
    # Magnum checks each flavor key present in the body, a null one too.
    flavors = [values[key] for key in FLAVOR_KEYS if key in values]
    values = {**DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    templates.check_content(values)
    templates.resolve(values)
    policy.authorize(ctx, f"{flavour.policy}:create")
    if values["public"] or values["hidden"]:
        _check_publish(ctx, flavour)
    template_rules.check_flavors(values["labels"], *flavors)
    values.setdefault("name", names.generate(flavour.name_kind))
    # Stored lowercase: lookups by uuid compare lowercase.
    values["uuid"] = str(values.get("uuid", "")).lower() or str(uuidlib.uuid4())
    with transaction() as session:
        row = templates.create(session, ctx, values)
        return view(request, row, flavour)


def list_of(
    request: Request, ctx: RequestContext, paging: Paging, detail: bool, flavour: Flavour = TEMPLATE
) -> dict[str, Any]:
    return listing(
        request,
        ctx,
        paging,
        Template,
        templates.KIND,
        lambda _session, rows: [view(request, row, flavour) for row in rows],
        name=flavour.collection,
        policy_prefix=flavour.policy,
        detail=detail,
    )


def show(request: Request, ctx: RequestContext, ident: str, flavour: Flavour) -> dict[str, Any]:
    ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:get_one_all_projects")
    with reading() as session:
        row = templates.lookup(session, ctx, ident)
        if not row.public:
            policy.authorize(ctx, f"{flavour.policy}:get", templates.target(row))
        return view(request, row, flavour)


def patch_from(
    request: Request, ctx: RequestContext, ident: str, document: Any, flavour: Flavour
) -> dict[str, Any]:
    ops = jsonpatch.parse(document)
    with transaction() as session:
        # Looked up in the caller's own scope first, as Magnum does: even an admin
        # gets 404 for another project's private template here.
        row = templates.lookup(session, ctx, ident)
        ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:update_all_projects")
        policy.authorize(ctx, f"{flavour.policy}:update", templates.target(row))
        before = {key: getattr(row, key) for key in COLUMNS}
        after = jsonpatch.apply(before, ops, mandatory=NOT_REMOVABLE)
        after = _revalidate(after, flavour)
        changes = jsonpatch.changed(before, after)
        if {"public", "hidden"} & changes:
            _check_publish(ctx, flavour)
        # Both flavors, as Magnum: a template without one cannot be patched (flavor None).
        template_rules.check_flavors(after["labels"], *(after[key] for key in FLAVOR_KEYS))
        templates.update(session, row, ident, changes, after)
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
    templates.check_content(result)
    templates.resolve(result)
    return result


def delete_by(ctx: RequestContext, ident: str, flavour: Flavour) -> Response:
    ctx = policy.widen_for_admin(ctx, f"{flavour.policy}:delete_all_projects")
    with transaction() as session:
        row = templates.lookup(session, ctx, ident)
        policy.authorize(ctx, f"{flavour.policy}:delete", templates.target(row))
        templates.delete(session, row, ident)
    return Response(status_code=204)
