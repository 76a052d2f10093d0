"""Authentication strategies: each turns a request into a RequestContext."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import bcrypt
import yaml
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext

LOG = logging.getLogger(__name__)

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


class UsersFileError(Exception):
    """The htpasswd or users file cannot be used as it is (the message says where)."""


# What htpasswd -B writes: $2y$, a two-digit cost, 22 characters of salt and 31 of hash.
_BCRYPT = re.compile(r"\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}")
# bcrypt reads 72 bytes of a password; htpasswd ignores the rest, and so does Moorage.
_BCRYPT_MAX = 72


@functools.lru_cache(maxsize=4)
def _dummy_hash(cost: int) -> bytes:
    """A hash to check an unknown user's password against, at the users' cost, so that
    an unknown user and a wrong password take the same time."""
    return bcrypt.hashpw(b"not a password of anyone", bcrypt.gensalt(rounds=cost))


class HttpBasic:
    """htpasswd (bcrypt) users, each mapped to one project and its roles.

    Both files are re-read when they change, so an operator adds users without a
    restart. A file that cannot be used is logged (once per change) and the users
    read before stay in force; with none read yet, every request is a 503. A
    verified password is remembered (as a SHA-256 of it) for a short time, because
    bcrypt is deliberately slow and would otherwise cost tens of milliseconds on
    every request.
    """

    CACHE_SECONDS = 300

    def __init__(self, auth_file: str, projects_file: str) -> None:
        self.auth_file = auth_file
        self.projects_file = projects_file
        self._lock = threading.Lock()
        self._stamp: tuple[float, float] | None = None
        self._users: dict[str, _User] | None = None
        self._dummy = b""
        self._verified: dict[tuple[str, str], float] = {}

    def _load(self) -> dict[str, _User]:
        try:
            stamp = (os.stat(self.auth_file).st_mtime, os.stat(self.projects_file).st_mtime)
        except OSError as exc:
            raise exceptions.ServiceUnavailable(
                f"Authentication is not configured: {exc.strerror}."
            ) from exc
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
            if self._users is None:
                raise exceptions.ServiceUnavailable(
                    "Authentication is not available: the users files cannot be read."
                )
            return self._users

    def _reload(self) -> None:
        try:
            users = _read_users(self.auth_file, self.projects_file)
        except UsersFileError as exc:
            kept = "the users read before stay" if self._users is not None else "no user can log in"
            LOG.error("%s; %s until it is fixed", exc, kept)
            return
        self._users = users
        cost = next((_cost(u.password_hash) for u in users.values()), 12)
        self._dummy = _dummy_hash(cost)
        self._verified.clear()

    def authenticate(self, header: str | None, request_id: str) -> RequestContext:
        name, password = _basic_credentials(header)
        user = self._load().get(name)
        if user is None:
            bcrypt.checkpw(password.encode()[:_BCRYPT_MAX], self._dummy)
            raise exceptions.Unauthenticated()
        if not self._check(name, password, user):
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
        if not bcrypt.checkpw(password.encode()[:_BCRYPT_MAX], user.password_hash):
            return False
        self._verified[key] = now + self.CACHE_SECONDS
        return True


def _cost(password_hash: bytes) -> int:
    return int(password_hash[4:6])


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
    hashes = _read_htpasswd(auth_file)
    entries = _read_projects(projects_file)
    users = {}
    for name, entry in entries.items():
        if name in hashes and entry.get("project_id"):
            roles = entry.get("roles") or ["member"]
            users[name] = _User(hashes[name], str(entry["project_id"]), expand_roles(list(roles)))
    return users


def _read_htpasswd(path: str) -> dict[str, bytes]:
    hashes: dict[str, bytes] = {}
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        name, sep, digest = line.strip().partition(":")
        if not sep or name.startswith("#"):
            continue
        if not _BCRYPT.fullmatch(digest):
            raise UsersFileError(
                f"{path} line {number}: the password of {name!r} is not a bcrypt hash "
                "(make it with htpasswd -B)"
            )
        hashes[name] = digest.replace("$2y$", "$2b$", 1).encode()  # bcrypt reads $2b$
    return hashes


def _read_projects(path: str) -> dict[str, dict[str, Any]]:
    try:
        mapping = yaml.safe_load(_read_text(path)) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path} is not valid YAML: {exc}") from exc
    users = (mapping.get("users") or {}) if isinstance(mapping, dict) else None
    if not isinstance(users, dict):
        raise UsersFileError(f"{path}: 'users' must be a mapping of user name to settings")
    for name, entry in users.items():
        if not (isinstance(entry, dict) and _is_role_list(entry.get("roles") or [])):
            raise UsersFileError(
                f"{path}: user {name!r} must be a mapping with project_id and a list of roles"
            )
    return {str(name): entry for name, entry in users.items()}


def _is_role_list(roles: object) -> bool:
    return isinstance(roles, list) and all(isinstance(r, str) for r in roles)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{path} cannot be read: {exc}") from exc


_http_basic: HttpBasic | None = None


async def context_from(request: Request) -> RequestContext:
    """FastAPI dependency: authenticate by ``[DEFAULT] auth_strategy``.

    ``noauth`` is answered on the event loop; the others go to the thread pool
    (keystonemiddleware may call Keystone, bcrypt is slow on purpose), so a noauth
    request does not pay a thread-pool trip for nothing.
    """
    if CONF.auth_strategy == "noauth":
        return noauth_context(request.state.request_id)
    return await run_in_threadpool(_authenticate, request)


def _authenticate(request: Request) -> RequestContext:
    global _http_basic
    request_id = request.state.request_id
    strategy = CONF.auth_strategy
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
