"""The dashboard's session: one encrypted, signed cookie, and the CSRF token in it.

The session lives in the browser, not on the server, so every ``moorage-api``
process (and a restarted one) reads it the same way, with the shared secret.
Fernet encrypts it (it holds a Keystone token, or the HTTP basic password the API
wants on every request) and its timestamp bounds the session's lifetime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field, replace

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request, Response

from moorage import config, secretfile
from moorage.config import CONF
from moorage.dashboard.client import Credentials

COOKIE = "moorage_dashboard"
SECRET_FILE = "dashboard-secret.key"
READ_ROLES = ("reader",)
WRITE_ROLES = ("member", "admin")


@dataclass(frozen=True)
class Session:
    """Who is signed in (nobody when ``user`` is empty) and the form token."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str = ""
    password: str = ""
    token: str = ""
    project_id: str = ""
    project_name: str = ""
    # Roles as Keystone's token or the API's ``/v1/whoami`` gave them; empty when
    # neither said (an API whose policy will not answer whoami).
    roles: tuple[str, ...] = ()
    # Set once the API refused a write with 403: write buttons are hidden from then on.
    read_only: bool = False
    flash: str = ""
    # Why the last session ended (shown on the sign-in page once).
    ended: str = ""

    @property
    def signed_in(self) -> bool:
        return bool(self.user)

    @property
    def may_write(self) -> bool:
        if self.read_only:
            return False
        return not self.roles or any(r in WRITE_ROLES for r in self.roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def credentials(self) -> Credentials:
        return Credentials(user=self.user, password=self.password, token=self.token)

    def signed_out(self, why: str = "") -> Session:
        return Session(ended=why)

    def with_flash(self, text: str) -> Session:
        return replace(self, flash=text)


def _fernet() -> Fernet:
    secret = CONF.dashboard.secret_key
    raw = (
        secret.encode()
        if secret
        else secretfile.read_or_create(
            config.state_path(SECRET_FILE), lambda: secrets.token_urlsafe(48).encode()
        )
    )
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


def load(request: Request) -> tuple[Session, bool]:
    """The request's session, and whether a cookie was sent that no longer holds one."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return Session(), False
    try:
        data = json.loads(_fernet().decrypt(cookie, ttl=CONF.dashboard.session_lifetime))
        data["roles"] = tuple(data.get("roles") or ())
        return Session(**data), False
    except (InvalidToken, ValueError, TypeError):
        return Session(), True


def store(request: Request, response: Response, session: Session) -> None:
    value = _fernet().encrypt(json.dumps(asdict(session)).encode()).decode()
    response.set_cookie(
        COOKIE,
        value,
        max_age=CONF.dashboard.session_lifetime,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, str(sent))
