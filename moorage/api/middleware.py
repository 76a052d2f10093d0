"""ASGI middleware: request ids, path normalisation, content negotiation, microversions.

Written as plain ASGI (not BaseHTTPMiddleware) because it runs on every request.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from moorage.api import microversion
from moorage.api.errors import FRAMEWORK_MARKER, FrameworkError, error_body
from moorage.context import new_request_id

# First path segments served as they are (not re-routed under /v1).
UNVERSIONED = {"", "v1", "healthcheck", "metrics", "openapi.json", "docs", "dashboard"}
# Paths that answer in their own format whatever the Accept header: load balancers,
# Prometheus and browsers ask for text.
ANY_ACCEPT = {"/healthcheck", "/metrics", "/docs"}
# The web dashboard (moorage.dashboard, when mounted) answers HTML to browsers.
ANY_ACCEPT_PREFIX = "/dashboard"
NOT_JSON = (
    "The API answers in JSON only: send Accept: application/json (or */*, or no Accept header)."
)


def normalise_path(path: str) -> str:
    """Accept trailing slashes, ``/.json`` and ``/v1.json``, and unversioned paths."""
    if path in ("/.json", "/v1.json"):
        path = path[: -len(".json")] or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    first = path.split("/")[1] if path != "/" else ""
    if first not in UNVERSIONED:
        path = "/v1" + path
    return path


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return True
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return any(
        k in ("*/*", "application/*", "application/json") or k.endswith("+json") for k in kinds
    )


class ApiMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        path = normalise_path(scope["path"])
        scope = {**scope, "path": path, "raw_path": path.encode()}
        scope.setdefault("state", {})["request_id"] = request_id
        headers = Headers(scope=scope)
        versioned = path == "/v1" or path.startswith("/v1/")
        version_headers: dict[str, str] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                framework = FRAMEWORK_MARKER in out
                if framework:
                    del out[FRAMEWORK_MARKER]
                out["x-openstack-request-id"] = request_id
                if not framework:
                    for key, value in version_headers.items():
                        out[key] = value
            await send(message)

        any_accept = path in ANY_ACCEPT or path.split("/")[1:2] == [ANY_ACCEPT_PREFIX[1:]]
        if not any_accept and not _accepts_json(headers.get("accept")):
            await self._reply(
                send_with_headers, 406, error_body(406, NOT_JSON, request_id=request_id)
            )
            return
        if versioned:
            requested = headers.get("openstack-api-version")
            try:
                scope["state"]["version"] = microversion.parse(requested)
            except FrameworkError as exc:
                body = error_body(exc.status, "", code="", request_id=request_id)
                await self._reply(send_with_headers, exc.status, body)
                return
            except microversion.OutOfRange as exc:
                version_headers.update(microversion.headers(exc.requested))
                await self._reply(send_with_headers, 406, microversion.out_of_range_body())
                return
            version_headers.update(microversion.headers(str(scope["state"]["version"])))
        await self.app(scope, receive, send_with_headers)

    @staticmethod
    async def _reply(send: Send, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
