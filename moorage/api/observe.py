"""Middleware that watches every answer: the base the metrics and the access log share.

``AccessLogMiddleware`` runs outermost and writes one line per request
(``moorage.api.access`` at INFO). It reads the request id from the response's
``X-OpenStack-Request-Id`` header, so the line, the header and an error body's
``request_id`` name the same request.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger("moorage.api.access")


class ObservingMiddleware:
    """Calls ``observed`` once per HTTP request, after the answer (or an unhandled error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        start: Message = {"status": 500, "headers": []}  # unless a response starts

        async def send_observed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self.observed(scope, start, time.monotonic() - started)

    def observed(self, scope: Scope, start: Message, seconds: float) -> None:
        """``start`` is the ``http.response.start`` message: status and headers."""
        raise NotImplementedError


def _target(scope: Scope) -> str:
    """The path as sent (still percent-encoded: a decoded newline would forge a log line)."""
    raw = scope.get("raw_path")
    return raw.decode("ascii", "backslashreplace") if raw else repr(scope["path"])


class AccessLogMiddleware(ObservingMiddleware):
    def observed(self, scope: Scope, start: Message, seconds: float) -> None:
        client = scope.get("client")
        LOG.info(
            '%s "%s %s" %d %.1f ms %s',
            client[0] if client else "-",
            scope["method"],
            _target(scope),
            int(start["status"]),
            seconds * 1000,
            Headers(scope=start).get("x-openstack-request-id", "-"),
        )
