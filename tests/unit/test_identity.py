"""How Keystone's answers about a project become Moorage's (``moorage.api.identity``).

A real Keystone is asked in tests/real/test_keystone.py (404 for an unknown project,
a member's 403 left to policy). Keystone failing or unreachable cannot be caused on
a real one at will, so a small HTTP server on loopback answers with a fixed status
here: a test double for Keystone's error answers only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import keystonemiddleware.auth_token  # noqa: F401  (registers [keystone_authtoken])
import pytest

from moorage import exceptions
from moorage.api import identity
from moorage.config import CONF
from moorage.context import RequestContext
from tests.support.live import free_port

CALLER = RequestContext(user_id="u", project_id="p", auth_token="token-of-the-caller")


class _Answers(BaseHTTPRequestHandler):
    status = 200
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        _Answers.seen.append((self.path, self.headers.get("X-Auth-Token")))
        self.send_response(_Answers.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def keystone_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    CONF.set_override("auth_strategy", "keystone")
    CONF.set_override("www_authenticate_uri", url, group="keystone_authtoken")
    _Answers.seen.clear()
    yield url
    CONF.clear_override("www_authenticate_uri", group="keystone_authtoken")
    CONF.clear_override("auth_strategy")
    server.shutdown()
    server.server_close()


def check(project_id: str) -> None:
    asyncio.run(identity.ensure_project_exists(CALLER, project_id))


@pytest.mark.parametrize("status", [200, 401, 403])
def test_known_or_not_for_the_caller_to_know_goes_on(keystone_url: str, status: int) -> None:
    _Answers.status = status
    check("some project")
    assert _Answers.seen == [("/v3/projects/some%20project", "token-of-the-caller")]


def test_unknown_project_is_404(keystone_url: str) -> None:
    _Answers.status = 404
    with pytest.raises(exceptions.NotFound, match=r"^The project_id nope could not be found\.$"):
        check("nope")


def test_keystone_failing_is_503(keystone_url: str) -> None:
    _Answers.status = 500
    with pytest.raises(exceptions.ServiceUnavailable, match="Keystone answered 500"):
        check("p")


def test_keystone_unreachable_is_503(keystone_url: str) -> None:
    CONF.set_override(
        "www_authenticate_uri", f"http://127.0.0.1:{free_port()}/v3", group="keystone_authtoken"
    )
    with pytest.raises(exceptions.ServiceUnavailable, match="could not be asked"):
        check("p")


def test_without_keystone_nothing_is_asked(keystone_url: str) -> None:
    CONF.set_override("auth_strategy", "http_basic")
    _Answers.status = 404
    check("anything")
    assert _Answers.seen == []
