"""``GET /docs``: the routes of the OpenAPI document as one self-contained HTML page.

FastAPI's Swagger UI loads its scripts from a CDN and shows nothing offline; this
page needs nothing but the service. The full reference stays ``/openapi.json``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter()

_METHODS = ("get", "post", "put", "patch", "delete")


def _rows(document: dict[str, Any]) -> list[str]:
    rows = []
    for path, operations in document.get("paths", {}).items():
        for method in _METHODS:
            if method in operations:
                summary = operations[method].get("summary", "")
                cells = (method.upper(), path, summary)
                rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return rows


def page(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    title = escape(f"{info.get('title', '')} {info.get('version', '')}".strip())
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>\n<h1>{title}</h1>\n"
        '<p>Every schema is in <a href="/openapi.json">/openapi.json</a>. Send '
        "<code>OpenStack-API-Version: container-infra latest</code> for the newest "
        "microversion.</p>\n<table>\n<tr><th>method</th><th>path</th><th>summary</th></tr>\n"
        + "\n".join(_rows(document))
        + "\n</table>\n</body></html>\n"
    )


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(page(request.app.openapi()))
