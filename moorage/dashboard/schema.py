"""The fields a create form offers, read from the API's own request schemas
(``/openapi.json``): the names, types and choices the API validates against, so
the dashboard repeats none of them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from moorage.dashboard import forms
from moorage.dashboard.client import Api, ApiError, Unauthenticated

_documents: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string, integer, boolean, object (labels: key=value text)
    choices: tuple[str, ...] = ()
    required: bool = False
    note: str = ""  # shown next to the label
    empty: str = "(API default)"  # what an empty choice is called

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize().replace(" id", "")


def _field(name: str, spec: dict[str, Any], required: bool) -> Field | None:
    """A field the caller may set: one with a type (the readonly ones have none)."""
    typed = [s for s in spec.get("anyOf", [spec]) if s.get("type") not in (None, "null")]
    if not typed:
        return None
    kind = typed[0]["type"]
    return Field(name, str(kind), tuple(typed[0].get("enum") or ()), required)


async def request_fields(api: Api, path: str, method: str = "post") -> list[Field]:
    """The settable fields of the JSON body ``method path`` takes, in the API's order."""
    if api.url not in _documents:
        _documents[api.url] = await api.get("/openapi.json")
    operation = _documents[api.url]["paths"][path][method]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    required = set(body.get("required") or ())
    found = (_field(n, s, n in required) for n, s in body["properties"].items())
    return [f for f in found if f is not None and f.name != "uuid"]


def conversions(fields: list[Field]) -> forms.Fields:
    """How each field's text becomes JSON (see ``forms.body``)."""
    return forms.Fields(
        ints=tuple(f.name for f in fields if f.kind == "integer"),
        bools=tuple(f.name for f in fields if f.kind == "boolean"),
        labels=tuple(f.name for f in fields if f.kind == "object"),
    )


# The list of ``GET /v1/catalog`` that holds the names a field takes.
CATALOG = {
    "image_id": "images",
    "flavor_id": "flavors",
    "master_flavor_id": "flavors",
    "external_network_id": "external_networks",
    "fixed_network": "networks",
    "fixed_subnet": "subnets",
    "keypair_id": "keypairs",
    "keypair": "keypairs",
}


def _names(items: list[Any]) -> tuple[str, ...]:
    return tuple(str(i["name"]) if isinstance(i, dict) else str(i) for i in items)


async def catalog(api: Api) -> dict[str, tuple[str, ...]]:
    """The names each field may take, from the API's catalog (Moorage's
    ``GET /v1/catalog``); nothing when it cannot be read, and the fields are typed."""
    try:
        found = await api.get("/v1/catalog") or {}
    except Unauthenticated:
        raise
    except ApiError:
        return {}
    lists = {field: _names(found.get(key) or []) for field, key in CATALOG.items()}
    return {field: names for field, names in lists.items() if names}


def offer(fields: list[Field], choices: dict[str, tuple[str, ...]]) -> list[Field]:
    """The fields, those the catalog has names for as choices (a <select>)."""
    return [
        replace(f, choices=choices[f.name]) if f.name in choices and not f.choices else f
        for f in fields
    ]
