"""The HTTP side of the client: one ``Client`` per command, errors as exceptions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from moorage.client.errors import error_text

DEFAULT_URL = "http://127.0.0.1:9511"


class CliError(Exception):
    """A failure the command reports on stderr before exiting with status 1."""


class ApiError(CliError):
    """The server answered with an error status; carries Magnum's title and detail."""

    def __init__(self, status: int, title: str, detail: str, request: str = "") -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.request = request
        super().__init__(self.render())

    def render(self) -> str:
        if self.title:
            text = f"ERROR: {self.title} (HTTP {self.status})"
        else:
            # The framework's own errors (no such route, method) carry no text: say what was asked.
            reason = httpx.codes.get_reason_phrase(self.status) or "Error"
            text = f"ERROR: {reason} (HTTP {self.status})"
            text += f" for {self.request}" if self.request else ""
        if self.detail and self.detail.rstrip(". ") != self.title.rstrip(". "):
            text += f"\n{self.detail}"
        return text


def error_from(response: httpx.Response) -> ApiError:
    """Read Magnum's ``errors[0]`` (or keystonemiddleware's ``error``) out of a response."""
    try:
        body = response.json()
    except ValueError:
        body = None
    title, detail = error_text(body, response.text)
    request = f"{response.request.method} {response.request.url.path}"
    return ApiError(response.status_code, title, detail, request)


class Client:
    """Talks container-infra v1 to one Moorage (or Magnum) endpoint."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        user: str | None = None,
        password: str | None = None,
        api_version: str = "latest",
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/").removesuffix("/v1")
        headers = {
            "User-Agent": "moorage-cli",
            "Accept": "application/json",
            "OpenStack-API-Version": f"container-infra {api_version}",
        }
        auth = httpx.BasicAuth(user, password or "") if user else None
        self._http = httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (None when there is none)."""
        try:
            response = self._http.request(
                method,
                path,
                json=body,
                params={k: v for k, v in (params or {}).items() if v is not None} or None,
            )
        except httpx.ConnectError as exc:
            raise CliError(
                f"ERROR: cannot connect to Moorage at {self.url}: {exc}. "
                "Is the service running? Set --url or MOORAGE_URL to point at it."
            ) from exc
        except httpx.TimeoutException as exc:
            raise CliError(f"ERROR: Moorage at {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise CliError(f"ERROR: request to {self.url} failed: {exc}") from exc
        if response.status_code >= 400:
            raise error_from(response)
        if not response.content or "json" not in response.headers.get("content-type", ""):
            return None
        return response.json()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("PATCH", path, body=body, params=params)

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def _relative(self, url: str) -> str:
        """A ``next`` link as a path below our base URL (scheme and host dropped)."""
        if url.startswith(self.url):
            return url[len(self.url) :]
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(self.url).path)  # another host, same prefix
        return path + (f"?{parts.query}" if parts.query else "")

    def collect(
        self, path: str, key: str, params: dict[str, Any] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """GET a collection and follow ``next`` links until ``limit`` items or the end."""
        items: list[dict[str, Any]] = []
        page = self.get(path, params) or {}
        while True:
            items.extend(page.get(key) or [])
            nxt = page.get("next")
            if not nxt or (limit is not None and len(items) >= limit):
                break
            page = self.get(self._relative(nxt)) or {}
        return items[:limit] if limit is not None else items
