"""The response models: what ``/openapi.json`` says each route answers.

They document the bodies and do not shape them: a route answers the dict it
builds, with exactly the fields Magnum gives at the request's microversion, and
``documented`` tells FastAPI to describe that answer with a model without
validating or filtering it through the model. Every field is therefore optional
(which fields appear depends on the microversion and on list or detail), and a
model allows fields it does not name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from moorage.objects.fields import Schema


class Open(BaseModel):
    """A body that may carry fields the model does not name."""

    model_config = ConfigDict(extra="allow")


def documented(model: type[BaseModel], status_code: int = 200) -> dict[str, Any]:
    """Route arguments: ``model`` describes the ``status_code`` answer; bodies pass as built."""
    return {"response_model": None, "responses": {status_code: {"model": model}}}


def optional(name: str, fields: dict[str, Any]) -> type[Open]:
    """A model of ``fields`` (name: type), each optional and nullable."""
    definitions: Any = {key: (kind | None, None) for key, kind in fields.items()}
    model: type[Open] = create_model(name, __base__=Open, **definitions)
    return model


def page(name: str, key: str, item: type[Open]) -> type[Open]:
    """A collection: its items under ``key``, ``next`` when there is a next page."""
    return optional(name, {key: list[item], "next": str})  # type: ignore[valid-type]


class Link(Open):
    href: str
    rel: str


Links = list[Link]
Text = dict[str, Any]

_JSON: dict[str, Any] = {
    "Str": str,
    "Int": int,
    "Bool": bool,
    "Enum": str,
    "Uuid": str,
    "StrList": list[str],
}


def _json_type(field_type: object) -> Any:
    for cls in type(field_type).__mro__:
        if cls.__name__ in _JSON:
            return _JSON[cls.__name__]
    return Any


def from_schema(name: str, schema: Schema) -> type[Open]:
    """A model of a request schema's fields, with the types of the answer."""
    fields = {key: _json_type(spec.type) for key, spec in schema.items()}
    return optional(name, {**fields, "labels": Text, "links": Links})


Accepted = optional("Accepted", {"uuid": str})

LoadedImage = optional("LoadedImage", {"uuid": str, "image": str, "nodes": list[str]})

CLUSTER_FIELDS: dict[str, Any] = {
    "uuid": str,
    "name": str,
    "cluster_template_id": str,
    "keypair": str,
    "docker_volume_size": int,
    "labels": Text,
    "labels_added": Text,
    "labels_overridden": Text,
    "labels_skipped": Text,
    "node_count": int,
    "master_count": int,
    "master_flavor_id": str,
    "flavor_id": str,
    "create_timeout": int,
    "status": str,
    "status_reason": str,
    "health_status": str,
    "health_status_reason": Text,
    "stack_id": str,
    "cluster_id": str,
    "api_address": str,
    "discovery_url": str,
    "coe_version": str,
    "container_version": str,
    "fixed_network": str,
    "fixed_subnet": str,
    "floating_ip_enabled": bool,
    "master_lb_enabled": bool,
    "merge_labels": bool,
    "project_id": str,
    "user_id": str,
    "node_addresses": list[str],
    "master_addresses": list[str],
    "faults": Text,
    "links": Links,
    "created_at": str,
    "updated_at": str,
}
Cluster = optional("Cluster", CLUSTER_FIELDS)
Clusters = page("Clusters", "clusters", Cluster)

BAY_NAMES = {
    "cluster_template_id": "baymodel_id",
    "create_timeout": "bay_create_timeout",
    "faults": "bay_faults",
}
Bay = optional("Bay", {BAY_NAMES.get(key, key): kind for key, kind in CLUSTER_FIELDS.items()})
Bays = page("Bays", "bays", Bay)

NodeGroup = optional(
    "NodeGroup",
    {
        "id": int,
        "uuid": str,
        "name": str,
        "cluster_id": str,
        "project_id": str,
        "docker_volume_size": int,
        "flavor_id": str,
        "image_id": str,
        "node_count": int,
        "role": str,
        "min_node_count": int,
        "max_node_count": int,
        "is_default": bool,
        "stack_id": str,
        "status": str,
        "status_reason": str,
        "version": str,
        "labels": Text,
        "labels_added": Text,
        "labels_overridden": Text,
        "labels_skipped": Text,
        "merge_labels": bool,
        "node_addresses": list[str],
        "node_labels": Text,
        "node_taints": list[Text],
        "links": Links,
        "created_at": str,
        "updated_at": str,
    },
)
NodeGroups = page("NodeGroups", "nodegroups", NodeGroup)

Federation = optional(
    "Federation",
    {
        "uuid": str,
        "name": str,
        "hostcluster_id": str,
        "member_ids": list[str],
        "status": str,
        "status_reason": str,
        "properties": Text,
        "links": Links,
        "created_at": str,
        "updated_at": str,
    },
)
Federations = page("Federations", "federations", Federation)

Quota = optional(
    "Quota",
    {
        "id": int,
        "project_id": str,
        "resource": str,
        "hard_limit": int,
        "created_at": str,
        "updated_at": str,
    },
)
Quotas = page("Quotas", "quotas", Quota)

Certificate = optional(
    "Certificate",
    {
        "cluster_uuid": str,
        "bay_uuid": str,
        "pem": str,
        "csr": str,
        "ca_cert_type": str,
        "links": Links,
    },
)

MService = optional(
    "MService",
    {
        "id": int,
        "host": str,
        "binary": str,
        "state": str,
        "report_count": int,
        "disabled": bool,
        "disabled_reason": str,
        "created_at": str,
        "updated_at": str,
    },
)
MServices = optional("MServices", {"mservices": list[MService]})  # type: ignore[valid-type]

Event = optional(
    "Event",
    {
        "id": int,
        "cluster_uuid": str,
        "request_id": int,
        "operation": str,
        "step": str,
        "index": int,
        "total": int,
        "started_at": str,
        "finished_at": str,
        "outcome": str,
        "message": str,
    },
)
Events = page("Events", "events", Event)

Node = optional("Node", {"name": str, "address": str, "nodegroup": str, "role": str, "ready": str})
Nodes = optional("Nodes", {"nodes": list[Node]})  # type: ignore[valid-type]

CatalogImage = optional("CatalogImage", {"name": str, "os_distro": str, "driver": str})
CatalogFlavor = optional("CatalogFlavor", {"name": str, "vcpus": int, "ram": int, "disk": int})
Catalog = optional(
    "Catalog",
    {
        "images": list[CatalogImage],  # type: ignore[valid-type]
        "flavors": list[CatalogFlavor],  # type: ignore[valid-type]
        "external_networks": list[str],
        "networks": list[str],
        "subnets": list[str],
        "keypairs": list[str],
    },
)

Whoami = optional(
    "Whoami",
    {
        "user_id": str,
        "user_name": str,
        "user_domain_id": str,
        "project_id": str,
        "project_name": str,
        "roles": list[str],
        "is_admin": bool,
        "system_scope": str,
        "domain_scope": str,
    },
)

Stats = optional("Stats", {"clusters": int, "nodes": int})

Versions = optional("Versions", {"name": str, "description": str, "versions": list[Text]})
