"""HTML form values to API request bodies: encoding only, no rules of the API's.

A form sends text. Fields the API takes as numbers or booleans are converted when
the text is one; anything else goes to the API as it was typed, so that the API's
own validation answers (and the page shows its message). Empty fields are left
out, so the API's defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class FormError(Exception):
    """The form's text cannot be put in a request at all (labels that are not k=v)."""


@dataclass(frozen=True)
class Fields:
    """Which names of a form are integers, booleans (checkbox or yes/no select), labels."""

    ints: tuple[str, ...] = ()
    bools: tuple[str, ...] = ()
    labels: tuple[str, ...] = ("labels",)


def number(text: str) -> Any:
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        return stripped


def boolean(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    return text


def labels(text: str) -> dict[str, str]:
    """``key=value`` pairs, one a line or separated by commas (as ``--labels`` takes them)."""
    out: dict[str, str] = {}
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise FormError(f"Labels must be key=value pairs; {part!r} is not one.")
        out[key.strip()] = value.strip()
    return out


def body(form: dict[str, str], fields: Fields) -> dict[str, Any]:
    """The request body of a create form (empty fields left out)."""
    out: dict[str, Any] = {}
    for name, text in form.items():
        if not text.strip():
            continue
        if name in fields.ints:
            out[name] = number(text)
        elif name in fields.bools:
            out[name] = boolean(text)
        elif name in fields.labels:
            out[name] = labels(text)
        else:
            out[name] = text.strip()
    return out


def replace_ops(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A JSON patch that sets each value."""
    return [{"op": "replace", "path": f"/{k}", "value": v} for k, v in values.items()]


def text(value: Any) -> str:
    """An API value as a form shows it (and as ``body`` reads it back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "\n".join(f"{k}={v}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _label_ops(name: str, typed: str, before: Any) -> list[dict[str, Any]]:
    """Labels change key by key (the API's patch takes strings at ``/labels/<key>``):
    ``add`` for a new or changed value, ``remove`` for a key no longer there."""
    old, new = dict(before or {}), labels(typed)
    ops = [
        {"op": "add", "path": f"/{name}/{k}", "value": v} for k, v in new.items() if old.get(k) != v
    ]
    return ops + [{"op": "remove", "path": f"/{name}/{k}"} for k in old if k not in new]


def changes(form: dict[str, str], before: dict[str, Any], fields: Fields) -> list[dict[str, Any]]:
    """A JSON patch of what the edit form changed: ``replace`` for a new value,
    ``remove`` (the API's default again) for a field emptied; untouched fields are
    not sent, so that the API is asked to change only what the user changed."""
    ops: list[dict[str, Any]] = []
    for name, typed in form.items():
        if typed.strip() == text(before.get(name)).strip():
            continue
        if name in fields.labels:
            ops += _label_ops(name, typed, before.get(name))
        elif not typed.strip():
            ops.append({"op": "remove", "path": f"/{name}"})
        else:
            ops += replace_ops(body({name: typed}, fields))
    return ops
