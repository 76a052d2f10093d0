"""``PATCH /v1/credentials/{cluster_ident}`` (1.12 on): rotate a cluster's credentials.

The conductor checks the cluster's status and asks the driver to rotate
(synchronous RPC ``credential_rotate``); a driver that cannot answers 400
``Credential rotation is not supported by driver.``
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from moorage.api import microversion, policy, responses
from moorage.api.auth import context_from
from moorage.api.common import optional_json_document
from moorage.api.responses import documented
from moorage.context import RequestContext
from moorage.db.session import transaction
from moorage.rpc import api as rpc_api
from moorage.services.clusters import lookup

router = APIRouter(tags=["credentials"])


@router.patch(
    "/credentials/{cluster_ident}",
    status_code=202,
    summary="Rotate a cluster's credentials",
    dependencies=[Depends(microversion.require(12))],
    **documented(responses.Accepted, 202),
)
def rotate(
    request: Request,
    cluster_ident: str,
    ctx: RequestContext = Depends(context_from),
    _document: Any = Depends(optional_json_document),
) -> dict[str, str]:
    """Body-less, like ``openstack coe credential rotate`` sends it.

    Policy ``credential:rotate`` is checked against the caller (a project
    member; admins are not special-cased), then the cluster is looked up in the
    caller's project.
    """
    policy.authorize(ctx, "credential:rotate")
    with transaction() as session:
        uuid = lookup(session, ctx, cluster_ident).uuid
    rpc_api.credential_rotate(ctx, uuid)
    return {"uuid": uuid}
