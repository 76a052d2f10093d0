"""Field types and body parsing with Magnum's (WSME's) rules and messages.

Clients and tempest compare status codes and python-magnumclient prints the
error title, so the checks and their wording follow Magnum: unknown attributes,
read-only attributes, type and constraint violations, mandatory fields.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moorage import exceptions

_TRUE = {"1", "t", "true", "on", "y", "yes"}
_FALSE = {"0", "f", "false", "off", "n", "no"}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

# Integer columns are 32-bit on every backend (SQLite's 64 bits included): a larger
# count would fail at the database, or overflow a sum of counts (``GET /v1/stats``).
DB_INT_MAX = 2**31 - 1
# Labels are free-form settings; these bound what one request may store in them.
MAX_LABELS = 128
MAX_LABEL_KEY = 255
MAX_LABEL_VALUE = 4096


def _wrong_type(name: str, value: object, expected: str) -> exceptions.InvalidInput:
    return exceptions.InvalidInput(
        name, value, f"Wrong type. Expected '{expected}', got '{type(value)}'"
    )


@dataclass(frozen=True)
class Str:
    min_length: int = 1
    max_length: int = 255
    pattern: str | None = None

    def check(self, name: str, value: Any, coerce: bool) -> str:
        if not isinstance(value, str):
            raise _wrong_type(name, value, "<class 'str'>")
        if len(value) < self.min_length:
            raise exceptions.InvalidInput(
                name,
                value,
                f"Value should have a minimum character requirement of {self.min_length}",
            )
        if len(value) > self.max_length:
            raise exceptions.InvalidInput(
                name,
                value,
                f"Value should have a maximum character requirement of {self.max_length}",
            )
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise exceptions.InvalidInput(
                name, value, f"Value should match the pattern {self.pattern}"
            )
        return value


@dataclass(frozen=True)
class Int:
    minimum: int | None = None
    maximum: int = DB_INT_MAX

    def check(self, name: str, value: Any, coerce: bool) -> int:
        number = self._to_int(name, value, coerce)
        if self.minimum is not None and number < self.minimum:
            raise exceptions.InvalidInput(
                name, value, f"Value should be greater or equal to {self.minimum}"
            )
        if number > self.maximum:
            raise exceptions.InvalidInput(
                name, value, f"Value should be lower or equal to {self.maximum}"
            )
        return number

    @staticmethod
    def _to_int(name: str, value: Any, coerce: bool) -> int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if coerce and isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise _wrong_type(name, value, "<class 'int'>")


@dataclass(frozen=True)
class Bool:
    def check(self, name: str, value: Any, coerce: bool) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE:
            return True
        if isinstance(value, str) and value.strip().lower() in _FALSE:
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise exceptions.InvalidInput(
            name,
            value,
            f"Unrecognized value '{value}', acceptable values are: "
            "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
        )


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]

    def check(self, name: str, value: Any, coerce: bool) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise exceptions.InvalidInput(
                name, value, "Value should be one of: " + ", ".join(self.values)
            )
        return value


@dataclass(frozen=True)
class Uuid:
    def check(self, name: str, value: Any, coerce: bool) -> str:
        if not is_uuid_like(value):
            raise exceptions.InvalidInput(
                name,
                value,
                f"unable to convert to uuid. Error: Expected a uuid but received {value}.",
            )
        return str(value)


@dataclass(frozen=True)
class Labels:
    """A string-keyed object whose values are stored as strings (Python ``str()``)."""

    def check(self, name: str, value: Any, coerce: bool) -> dict[str, str]:
        if not isinstance(value, dict):
            raise _wrong_type(name, value, "<class 'dict'>")
        if len(value) > MAX_LABELS:
            raise exceptions.InvalidInput(name, value, f"At most {MAX_LABELS} labels are allowed")
        out: dict[str, str] = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)) or item is None:
                raise exceptions.InvalidInput(
                    name, value, f"Wrong type. Expected a string, number or boolean for {key}"
                )
            out[str(key)] = self._bounded(name, value, str(key), str(item))
        return out

    @staticmethod
    def _bounded(name: str, labels: Any, key: str, text: str) -> str:
        if len(key) > MAX_LABEL_KEY:
            raise exceptions.InvalidInput(
                name, labels, f"A label key may have at most {MAX_LABEL_KEY} characters"
            )
        if len(text) > MAX_LABEL_VALUE:
            raise exceptions.InvalidInput(
                name, labels, f"A label value may have at most {MAX_LABEL_VALUE} characters"
            )
        return text


@dataclass(frozen=True)
class StrList:
    def check(self, name: str, value: Any, coerce: bool) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _wrong_type(name, value, "<class 'list'>")
        return list(value)


@dataclass(frozen=True)
class AnyJson:
    """Validated by the resource's own rules (for example node taints)."""

    def check(self, name: str, value: Any, coerce: bool) -> Any:
        return value


FieldType = Str | Int | Bool | Enum | Uuid | Labels | StrList | AnyJson


@dataclass(frozen=True)
class Field:
    type: FieldType
    mandatory: bool = False
    readonly: bool = False
    # Accepted on input and then dropped (Magnum accepts and ignores them).
    ignored: bool = False
    default: Any = field(default=MISSING)


Schema = Mapping[str, Field]


def is_uuid_like(value: object) -> bool:
    try:
        return str(uuidlib.UUID(str(value))) == str(value).lower()
    except (TypeError, ValueError, AttributeError):
        return False


def parse_body(argname: str, body: Any, schema: Schema, *, coerce: bool = True) -> dict[str, Any]:
    """Check a request object and return its values (``None`` for explicit nulls).

    Keys absent from the body are absent from the result, so callers can tell
    "not given" from "given as null" where Magnum does.
    """
    if not isinstance(body, dict):
        raise exceptions.InvalidInput(argname, body, "Value not a valid object")
    unknown = sorted(set(body) - set(schema))
    if unknown:
        noun = "attributes" if len(unknown) > 1 else "attribute"
        raise exceptions.Invalid(f"Unknown {noun} for argument {argname}: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in schema.items():
        if name not in body:
            continue
        value = body[name]
        if spec.readonly and value is not None:
            raise exceptions.InvalidInput(name, value, "Cannot set read only field.")
        if spec.ignored or spec.readonly:
            continue
        values[name] = None if value is None else spec.type.check(name, value, coerce)
    for name, spec in schema.items():
        if spec.mandatory and values.get(name) is None:
            raise exceptions.InvalidInput(name, None, "Mandatory field missing.")
    return values


def with_defaults(values: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """Fill declared defaults for keys that are absent or null."""
    out = dict(values)
    for name, spec in schema.items():
        if spec.default is not MISSING and out.get(name) is None:
            out[name] = spec.default() if callable(spec.default) else spec.default
    return out


def bool_from_string(value: Any, name: str = "value") -> bool:
    return Bool().check(name, value, True)


def _json_type(kind: FieldType) -> dict[str, Any]:
    if isinstance(kind, Str):
        doc: dict[str, Any] = {
            "type": "string",
            "minLength": kind.min_length,
            "maxLength": kind.max_length,
        }
        if kind.pattern:
            doc["pattern"] = kind.pattern
        return doc
    if isinstance(kind, Int):
        doc = {"type": "integer", "maximum": kind.maximum}
        if kind.minimum is not None:
            doc["minimum"] = kind.minimum
        return doc
    if isinstance(kind, Bool):
        return {"type": "boolean"}
    if isinstance(kind, Enum):
        return {"type": "string", "enum": list(kind.values)}
    if isinstance(kind, Uuid):
        return {"type": "string", "format": "uuid"}
    if isinstance(kind, Labels):
        return {
            "type": "object",
            "maxProperties": MAX_LABELS,
            "propertyNames": {"maxLength": MAX_LABEL_KEY},
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        }
    if isinstance(kind, StrList):
        return {"type": "array", "items": {"type": "string"}}
    return {}


def json_schema(schema: Schema) -> dict[str, Any]:
    """The JSON Schema of a request object, for the OpenAPI document.

    Only a description: requests are checked by ``parse_body``, which gives
    Magnum's messages.
    """
    writable = {k: v for k, v in schema.items() if not v.readonly}
    return {
        "type": "object",
        "properties": {
            name: {"anyOf": [_json_type(f.type), {"type": "null"}]} for name, f in writable.items()
        },
        "required": [name for name, f in writable.items() if f.mandatory],
        "additionalProperties": False,
    }
