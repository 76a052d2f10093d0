"""JSON-patch (RFC 6902 subset) with Magnum's rules, shared by every PATCH route."""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Collection
from typing import Any

import jsonpatch

from moorage import exceptions

PATH_PATTERN = r"^(/[\w-]+)+$"
OPS = ("add", "replace", "remove")
# Always internal, whatever the resource.
COMMON_INTERNAL = frozenset(
    {"created_at", "id", "links", "updated_at", "uuid", "project_id", "user_id"}
)
# A string value for these is a Python literal (what python-magnumclient sends).
LITERAL_FIELDS = frozenset({"labels", "health_status_reason", "node_labels", "node_taints"})


JSON_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "op": {"type": "string", "enum": list(OPS)},
            "path": {"type": "string", "pattern": PATH_PATTERN},
            "value": {"type": ["string", "integer", "boolean"]},
        },
        "required": ["op", "path"],
    },
}


def parse(body: Any) -> list[dict[str, Any]]:
    """Check the shape of a patch document before anything is looked up."""
    if not isinstance(body, list):
        raise exceptions.InvalidInput("patch", body, f"Value not a valid list: {body}")
    return [_parse_op(item) for item in body]


def _parse_op(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise exceptions.InvalidInput("patch", item, "Value not a valid object")
    unknown = sorted(set(item) - {"op", "path", "value"})
    if unknown:
        raise exceptions.Invalid(f"Unknown attribute for argument patch: {', '.join(unknown)}")
    op, path = item.get("op"), item.get("path")
    if op not in OPS:
        raise exceptions.InvalidInput("op", op, "Value should be one of: " + ", ".join(OPS))
    if not isinstance(path, str) or not re.match(PATH_PATTERN, path):
        raise exceptions.InvalidInput(
            "path", path, f"Value should match the pattern {PATH_PATTERN}"
        )
    value = item.get("value")
    if isinstance(value, (dict, list, float)):
        raise exceptions.InvalidInput(
            "value",
            value,
            f"Wrong type. Expected '(<class 'str'>, <class 'int'>)', got '{type(value)}'",
        )
    if op != "remove" and value is None:
        raise exceptions.Invalid("'add' and 'replace' operations needs value")
    parsed = {"op": op, "path": path}
    if op != "remove":
        parsed["value"] = value
    return parsed


def root(path: str) -> str:
    return path.split("/")[1]


def apply(
    doc: dict[str, Any],
    ops: list[dict[str, Any]],
    *,
    internal: Collection[str] = (),
    mandatory: Collection[str] = (),
) -> dict[str, Any]:
    """Apply parsed ``ops`` to a copy of ``doc`` after Magnum's attribute checks."""
    internal_set = COMMON_INTERNAL | set(internal)
    prepared = []
    for op in ops:
        attr = root(op["path"])
        if attr in internal_set:
            raise exceptions.Invalid(f"'/{attr}' is an internal attribute and can not be updated")
        if op["op"] == "remove" and attr in mandatory and op["path"] == f"/{attr}":
            raise exceptions.Invalid(f"'/{attr}' is a mandatory attribute and can not be removed")
        if op["op"] == "add" and op["path"] == f"/{attr}":
            _check_add(doc, attr)
        prepared.append(_literal_value(op, attr))
    try:
        result: dict[str, Any] = jsonpatch.apply_patch(copy.deepcopy(doc), prepared)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
        raise exceptions.Invalid(f"Couldn't apply patch '{ops}'. Reason: {exc}") from exc
    return result


def _check_add(doc: dict[str, Any], attr: str) -> None:
    if attr not in doc:
        raise exceptions.Invalid(
            f"Adding a new attribute /{attr} to the root of the resource is not allowed."
        )
    if doc[attr] is not None:
        raise exceptions.Invalid(
            f"The attribute /{attr} has existed, please use 'replace' operation instead."
        )


def _literal_value(op: dict[str, Any], attr: str) -> dict[str, Any]:
    if op["op"] != "replace" or attr not in LITERAL_FIELDS or op["path"] != f"/{attr}":
        return op
    if not isinstance(op["value"], str):
        return op
    try:
        value = ast.literal_eval(op["value"]) if op["value"].strip() else None
    except (ValueError, SyntaxError) as exc:
        raise exceptions.Invalid(f"Couldn't apply patch '{[op]}'. Reason: {exc}") from exc
    return {**op, "value": value}


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Top-level attributes whose value differs after the patch."""
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
