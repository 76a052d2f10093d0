"""Magnum's error bodies as a client reads them."""

from __future__ import annotations

from typing import Any


def error_text(body: Any, text: str) -> tuple[str, str]:
    """(title, detail) of an error answer: Magnum's ``errors[0]``, keystonemiddleware's
    ``error``, or the start of a body that is not JSON."""
    title = detail = ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            title = str(errors[0].get("title") or "")
            detail = str(errors[0].get("detail") or errors[0].get("description") or "")
        elif isinstance(body.get("error"), dict):
            title = str(body["error"].get("title") or "")
            detail = str(body["error"].get("message") or "")
    elif text and not body:
        detail = text.strip()[:500]
    return title, detail
