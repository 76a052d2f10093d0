"""What Keystone knows about a project, asked with the caller's own token.

Magnum refuses a quota for a project Keystone does not know (404 ``The
project_id <p> could not be found.``) and asks as the caller, not as the service:
an operator grants nothing extra to Moorage's service user, and a caller who may
not look at the project learns nothing from the answer (policy decides next).
Without Keystone (noauth, HTTP basic) there is no project registry to ask.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext

# Keystone's answers on which the caller's request goes on to policy unchanged.
_LOOKED_UP = {200, 401, 403}


def _identity_url() -> str:
    """Keystone's public v3 URL, as users reach it (``www_authenticate_uri``)."""
    section = CONF.keystone_authtoken
    url = str(section.www_authenticate_uri or section.auth_url or "").rstrip("/")
    if not url:
        raise exceptions.ServiceUnavailable(
            "Keystone is not configured: [keystone_authtoken] www_authenticate_uri is unset."
        )
    return url if url.endswith("/v3") else url + "/v3"


async def ensure_project_exists(ctx: RequestContext, project_id: str) -> None:
    """Raise 404 when Keystone says ``project_id`` does not exist."""
    if CONF.auth_strategy != "keystone" or not ctx.auth_token:
        return
    url = f"{_identity_url()}/projects/{quote(project_id, safe='')}"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(url, headers={"X-Auth-Token": ctx.auth_token})
    except httpx.HTTPError as exc:
        raise exceptions.ServiceUnavailable(
            f"Keystone could not be asked whether project {project_id} exists: {exc}"
        ) from exc
    if answer.status_code == 404:
        raise exceptions.NotFound(f"The project_id {project_id} could not be found.")
    if answer.status_code not in _LOOKED_UP:
        raise exceptions.ServiceUnavailable(
            f"Keystone answered {answer.status_code} when asked about project {project_id}."
        )
