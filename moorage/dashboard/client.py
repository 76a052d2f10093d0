"""The dashboard's one way out: the public v1 API (and Keystone's token API) over HTTP.

Every page gets what it shows from here, with the signed-in user's credentials, so
the dashboard can do exactly what the user could do with ``openstack coe``: the API
authenticates, authorises and validates; the dashboard shows its answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from moorage.client.errors import error_text

TIMEOUT = 60.0
# Moorage's newest microversion, so that every field a page shows is in the answers.
API_VERSION = "container-infra latest"


class ApiError(Exception):
    """The API (or Keystone) refused; ``message`` is its own text, shown as it is."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = self.title or httpx.codes.get_reason_phrase(self.status) or "Error"
        if self.detail.startswith(self.title.rstrip(". ")):
            text = self.detail or text  # Magnum's detail often repeats its title, and more
        elif self.detail:
            text += f": {self.detail}"
        return f"{text} (HTTP {self.status})"


class Unauthenticated(ApiError):
    """The credentials are no longer accepted (a token that ended or was revoked)."""


@dataclass(frozen=True)
class Credentials:
    """What a request carries: nothing (noauth), a user and password, or a token."""

    user: str = ""
    password: str = ""
    token: str = ""

    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token} if self.token else {}

    def auth(self) -> httpx.BasicAuth | None:
        return httpx.BasicAuth(self.user, self.password) if self.user and not self.token else None


_shared: httpx.AsyncClient | None = None


def http() -> httpx.AsyncClient:
    """One connection pool per process: a new client per call costs tens of
    milliseconds (its TLS context) on every page."""
    global _shared
    if _shared is None or _shared.is_closed:
        _shared = httpx.AsyncClient(timeout=TIMEOUT)
    return _shared


def _raise_for(response: httpx.Response) -> None:
    http().cookies.clear()  # the pool is shared by every user: keep no one's cookies
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    title, detail = error_text(body, response.text)
    kind = Unauthenticated if response.status_code == 401 else ApiError
    raise kind(response.status_code, title, detail)


class Api:
    """One user's view of the v1 API at ``url``."""

    def __init__(self, url: str, credentials: Credentials) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials

    async def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """The decoded JSON answer (None when there is none); ApiError when refused."""
        headers = {
            "Accept": "application/json",
            "User-Agent": "moorage-dashboard",
            "OpenStack-API-Version": API_VERSION,
            **self.credentials.headers(),
        }
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await http().request(
                method,
                self.url + path,
                json=body,
                params=query or None,
                headers=headers,
                auth=self.credentials.auth(),
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, f"The API at {self.url} cannot be reached: {exc}") from exc
        _raise_for(response)
        if not response.content or "json" not in response.headers.get("content-type", ""):
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, body: Any) -> Any:
        return await self.request("POST", path, body=body)

    async def patch(self, path: str, ops: list[dict[str, Any]], **params: Any) -> Any:
        return await self.request("PATCH", path, body=ops, params=params)

    async def delete(self, path: str) -> None:
        await self.request("DELETE", path)

    async def collect(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a collection, following ``next`` links."""
        items: list[dict[str, Any]] = []
        page = await self.get(path, **params) or {}
        while True:
            items.extend(page.get(key) or [])
            nxt = page.get("next")
            if not nxt or "marker=" not in nxt:
                return items
            marker = re.search(r"[?&]marker=([^&]+)", nxt)
            page = await self.get(path, **{**params, "marker": marker and marker.group(1)}) or {}

    async def whoami(self) -> dict[str, Any]:
        """The caller's user, project and roles as the API acts on them
        (``GET /v1/whoami``, Moorage's own route)."""
        return dict(await self.get("/v1/whoami") or {})

    async def keystone_url(self) -> str:
        """Keystone's URL as the API names it to an unauthenticated caller (401's
        ``WWW-Authenticate: Keystone uri="..."``)."""
        response = await http().get(self.url + "/v1/clusters")
        found = re.search(
            r"""Keystone uri=["']?([^"'\s]+)""", response.headers.get("www-authenticate", "")
        )
        if not found:
            raise ApiError(503, "The API names no Keystone to sign in with.")
        return found.group(1)


@dataclass(frozen=True)
class Token:
    """A project-scoped Keystone token and what Keystone said about it."""

    token: str
    user: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]
    expires_at: str


class Keystone:
    """Keystone's v3 token API: the only calls the dashboard makes that are not Moorage's."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/").removesuffix("/v3") + "/v3"

    async def _post(self, path: str, body: Any, token: str = "") -> httpx.Response:
        headers = {"X-Auth-Token": token} if token else {}
        try:
            response = await http().post(self.url + path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"Keystone at {self.url} cannot be reached: {exc}") from exc
        _raise_for(response)
        return response

    async def password_token(self, user: str, password: str, domain: str, project: str) -> Token:
        identity = {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": {"name": domain}, "password": password}},
        }
        scope = {"project": {"name": project, "domain": {"name": domain}}}
        return await self._issue(identity, scope)

    async def rescope(self, token: str, project_id: str) -> Token:
        """The same user's token for another of their projects, without the password."""
        identity = {"methods": ["token"], "token": {"id": token}}
        return await self._issue(identity, {"project": {"id": project_id}})

    async def projects(self, token: str) -> list[dict[str, Any]]:
        """The projects the token's user may scope to (``GET /v3/auth/projects``)."""
        response = await http().get(self.url + "/auth/projects", headers={"X-Auth-Token": token})
        _raise_for(response)
        return list(response.json().get("projects") or [])

    async def revoke(self, token: str) -> None:
        """End the token at Keystone (a user may revoke their own)."""
        headers = {"X-Auth-Token": token, "X-Subject-Token": token}
        await http().delete(self.url + "/auth/tokens", headers=headers)

    async def _issue(self, identity: dict[str, Any], scope: dict[str, Any]) -> Token:
        response = await self._post(
            "/auth/tokens", {"auth": {"identity": identity, "scope": scope}}
        )
        body = response.json()["token"]
        return Token(
            token=response.headers["x-subject-token"],
            user=str(body["user"]["name"]),
            project_id=str(body["project"]["id"]),
            project_name=str(body["project"]["name"]),
            roles=tuple(str(r["name"]) for r in body.get("roles") or []),
            expires_at=str(body.get("expires_at") or ""),
        )
