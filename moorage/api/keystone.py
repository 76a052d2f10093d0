"""``auth_strategy = keystone``: tokens validated by keystonemiddleware's auth_token.

keystonemiddleware is a WSGI filter. Moorage calls it as one, per request, around a
tiny WSGI app that only records that the request got through: the filter reads
``X-Auth-Token`` (and ``X-Service-Token``), validates it against Keystone through
its token cache (in-process, or memcached with ``[keystone_authtoken]
memcached_servers``), and either sets the ``X-User-Id``/``X-Project-Id``/``X-Roles``
... headers in the environ or answers itself. Its own answers (401 with its JSON
body and ``WWW-Authenticate: Keystone uri=...``, 503 when Keystone is unreachable)
are sent as they are, outside Magnum's error format, as in Magnum's paste pipeline.

The filter is configured from ``[keystone_authtoken]`` on Moorage's CONF (Magnum's
option names: ``www_authenticate_uri``, ``auth_url``, ``auth_type``, ``username``,
``password``, ``project_name``, ``memcached_servers``, ``token_cache_time``, ...);
keystonemiddleware registers those options itself.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from moorage import exceptions
from moorage.api import policy
from moorage.api.auth import expand_roles
from moorage.api.errors import FRAMEWORK_MARKER
from moorage.config import CONF
from moorage.context import RequestContext

_PASSED = "moorage.keystone.passed"
# Request headers the filter reads; every identity header a caller sends is dropped.
_TOKEN_HEADERS = ("x-auth-token", "x-service-token")


class KeystoneRejected(Exception):
    """keystonemiddleware answered the request itself (401, 503, ...)."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers
        self.body = body

    def response(self) -> Response:
        headers = {k: v for k, v in self.headers if k.lower() != "content-length"}
        # No microversion headers: the answer comes from outside Magnum's API.
        headers[FRAMEWORK_MARKER] = "1"
        return Response(self.body, status_code=self.status, headers=headers)


async def rejected(request: Request, exc: Exception) -> Response:
    """Exception handler (installed by the app): keystonemiddleware's answer as it is."""
    assert isinstance(exc, KeystoneRejected)
    return exc.response()


def _passed(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ[_PASSED] = True
    start_response("204 No Content", [])
    return []


class KeystoneAuth:
    def __init__(self) -> None:
        from keystonemiddleware import auth_token

        # oslo_config_config: the filter registers [keystone_authtoken] on Moorage's CONF.
        self._filter = auth_token.AuthProtocol(_passed, {"oslo_config_config": CONF})
        section = CONF.keystone_authtoken
        if not section.auth_section and not section.auth_type:
            # Without credentials of its own the filter cannot ask Keystone anything.
            raise exceptions.ServiceUnavailable(
                "Authentication is not configured: [keystone_authtoken] auth_type is unset."
            )

    def authenticate(self, request: Request, request_id: str) -> RequestContext:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.url.path,
            "QUERY_STRING": request.url.query,
            "SERVER_NAME": request.url.hostname or "localhost",
            "SERVER_PORT": str(request.url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": request.url.scheme,
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name in _TOKEN_HEADERS:
            value = request.headers.get(name)
            if value is not None:
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        answer: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answer["status"], answer["headers"] = int(status.split()[0]), headers
            return lambda data: None

        body = b"".join(self._filter(environ, start_response))
        if not environ.get(_PASSED):
            raise KeystoneRejected(answer.get("status", 401), answer.get("headers", []), body)
        return _context(environ, request_id)


def _context(environ: dict[str, Any], request_id: str) -> RequestContext:
    def header(name: str) -> str | None:
        return environ.get("HTTP_X_" + name) or None

    # auth_token sets ``OpenStack-System-Scope: all`` for a system-scoped token, but a
    # valid service token's headers overwrite that one; the user's token data decides.
    user = getattr(environ.get("keystone.token_auth"), "user", None)
    if user is not None:
        system_scope = "all" if getattr(user, "system_scoped", False) else None
    else:
        system_scope = environ.get("HTTP_OPENSTACK_SYSTEM_SCOPE") or None
    ctx = RequestContext(
        user_id=header("USER_ID"),
        user_name=header("USER_NAME"),
        project_id=header("PROJECT_ID"),
        project_name=header("PROJECT_NAME"),
        domain_id=header("USER_DOMAIN_ID"),
        roles=expand_roles((header("ROLES") or "").split(",")),
        auth_token=header("AUTH_TOKEN"),
        request_id=request_id,
        system_scope=system_scope,
        # A domain-scoped token: ``X-Domain-Id`` (project-scoped ones have none).
        domain_scope=header("DOMAIN_ID"),
    )
    # context_is_admin is unscoped (as in Magnum), so a system-scoped admin is an admin
    # here too; every resource rule is project-scoped and refuses it all the same.
    return dataclasses.replace(ctx, is_admin=policy.check(ctx, "context_is_admin"))


_lock = threading.Lock()
_auth: KeystoneAuth | None = None


def authenticate(request: Request, request_id: str) -> RequestContext:
    """The context of a request whose token keystonemiddleware accepted."""
    global _auth
    with _lock:
        if _auth is None:
            _auth = KeystoneAuth()
        auth = _auth
    return auth.authenticate(request, request_id)


def reset() -> None:
    """Forget the filter (and its token cache), so configuration is read again."""
    global _auth
    with _lock:
        _auth = None
