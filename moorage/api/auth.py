"""Authentication strategies: each turns a request into a RequestContext."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from dataclasses import dataclass

import bcrypt
import yaml
from fastapi import Request

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext

# Keystone's implied roles: admin implies member, member implies reader.
_IMPLIED = {"admin": ("member", "reader"), "member": ("reader",)}


def expand_roles(roles: list[str]) -> tuple[str, ...]:
    out = list(dict.fromkeys(r.strip() for r in roles if r.strip()))
    for role in list(out):
        out.extend(r for r in _IMPLIED.get(role, ()) if r not in out)
    return tuple(out)


def noauth_context(request_id: str) -> RequestContext:
    """Embedded default: every caller is an admin of the configured project."""
    return RequestContext(
        user_id=CONF.noauth.user_id,
        project_id=CONF.noauth.project_id,
        roles=expand_roles(["admin"]),
        is_admin=True,
        request_id=request_id,
    )


@dataclass(frozen=True)
class _User:
    password_hash: bytes
    project_id: str
    roles: tuple[str, ...]


class HttpBasic:
    """htpasswd (bcrypt) users, each mapped to one project and its roles.

    Both files are re-read when they change, so an operator adds users without a
    restart. A verified password is remembered (as a SHA-256 of it) for a short
    time, because bcrypt is deliberately slow and would otherwise cost tens of
    milliseconds on every request.
    """

    CACHE_SECONDS = 300

    def __init__(self, auth_file: str, projects_file: str) -> None:
        self.auth_file = auth_file
        self.projects_file = projects_file
        self._lock = threading.Lock()
        self._stamp: tuple[float, float] | None = None
        self._users: dict[str, _User] = {}
        self._verified: dict[tuple[str, str], float] = {}

    def _load(self) -> dict[str, _User]:
        import os

        try:
            stamp = (os.stat(self.auth_file).st_mtime, os.stat(self.projects_file).st_mtime)
        except OSError as exc:
            raise exceptions.ServiceUnavailable(
                f"Authentication is not configured: {exc.strerror}."
            ) from exc
        with self._lock:
            if stamp != self._stamp:
                self._users = _read_users(self.auth_file, self.projects_file)
                self._stamp = stamp
                self._verified.clear()
            return self._users

    def authenticate(self, header: str | None, request_id: str) -> RequestContext:
        name, password = _basic_credentials(header)
        user = self._load().get(name)
        if user is None or not self._check(name, password, user):
            raise exceptions.Unauthenticated()
        return RequestContext(
            user_id=name,
            user_name=name,
            project_id=user.project_id,
            roles=user.roles,
            is_admin="admin" in user.roles,
            request_id=request_id,
        )

    def _check(self, name: str, password: str, user: _User) -> bool:
        key = (name, hashlib.sha256(password.encode()).hexdigest())
        now = time.monotonic()
        if self._verified.get(key, 0) > now:
            return True
        if not bcrypt.checkpw(password.encode(), user.password_hash):
            return False
        self._verified[key] = now + self.CACHE_SECONDS
        return True


def _basic_credentials(header: str | None) -> tuple[str, str]:
    if not header or not header.lower().startswith("basic "):
        raise exceptions.Unauthenticated()
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise exceptions.Unauthenticated() from exc
    name, sep, password = decoded.partition(":")
    if not sep:
        raise exceptions.Unauthenticated()
    return name, password


def _read_users(auth_file: str, projects_file: str) -> dict[str, _User]:
    hashes: dict[str, bytes] = {}
    with open(auth_file, encoding="utf-8") as handle:
        for line in handle:
            name, sep, digest = line.strip().partition(":")
            if sep and not name.startswith("#"):
                # htpasswd -B writes $2y$; bcrypt reads it as $2b$.
                hashes[name] = digest.replace("$2y$", "$2b$", 1).encode()
    with open(projects_file, encoding="utf-8") as handle:
        mapping = yaml.safe_load(handle) or {}
    users = {}
    for name, entry in (mapping.get("users") or {}).items():
        if name in hashes and isinstance(entry, dict) and entry.get("project_id"):
            roles = entry.get("roles") or ["member"]
            users[str(name)] = _User(
                hashes[name], str(entry["project_id"]), expand_roles(list(roles))
            )
    return users


_http_basic: HttpBasic | None = None


def context_from(request: Request) -> RequestContext:
    """FastAPI dependency: authenticate by ``[DEFAULT] auth_strategy``."""
    global _http_basic
    request_id = request.state.request_id
    strategy = CONF.auth_strategy
    if strategy == "noauth":
        return noauth_context(request_id)
    if strategy == "http_basic":
        if _http_basic is None or _http_basic.auth_file != CONF.http_basic.auth_file:
            _http_basic = HttpBasic(CONF.http_basic.auth_file, CONF.http_basic.projects_file)
        return _http_basic.authenticate(request.headers.get("authorization"), request_id)
    if strategy == "keystone":
        from moorage.api import keystone  # keystonemiddleware is imported only when used

        return keystone.authenticate(request, request_id)
    raise exceptions.NotImplementedFeature(
        f"auth_strategy {strategy} is not available in this release."
    )
