"""The fields a create form offers, read from the API's own request schemas
(``/openapi.json``): the names, types and choices the API validates against, so
the dashboard repeats none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moorage.dashboard import forms
from moorage.dashboard.client import Api

_documents: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string, integer, boolean, object (labels: key=value text)
    choices: tuple[str, ...] = ()
    required: bool = False

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
