"""``GET /v1/whoami``: the caller's own identity (a Moorage extension).

Under Keystone a client learns its roles and project from its token; under
``http_basic`` (and noauth) the API is the only one who knows them, and until now
it said so only by refusing. This route answers, from the request context the
authentication built, who the caller is (user, project, roles, whether it is an
admin, and the token's domain or system scope when it has one), so that a client
(the dashboard) can hide what the caller may not do instead of learning it from a
403. Nothing about any other user, and no credentials: the token stays out.
Outside Magnum's microversions, like the catalog. Policy ``whoami:get``: any
authenticated caller, in any scope, by default.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.responses import documented
from moorage.context import RequestContext

router = APIRouter(tags=["whoami"])


@router.get(
    "/whoami",
    summary="The caller's own user, project and roles (Moorage)",
    **documented(responses.Whoami),
)
def get(ctx: RequestContext = Depends(context_from)) -> dict[str, Any]:
    """What the caller's credentials say about the caller, as the API acts on them."""
    policy.authorize(ctx, "whoami:get")
    return {
        "user_id": ctx.user_id,
        "user_name": ctx.user_name,
        "user_domain_id": ctx.domain_id,
        "project_id": ctx.project_id,
        "project_name": ctx.project_name,
        "roles": list(ctx.roles),
        "is_admin": ctx.is_admin,
        "system_scope": ctx.system_scope,
        "domain_scope": ctx.domain_scope,
    }
