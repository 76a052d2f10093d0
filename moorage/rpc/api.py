"""Typed conductor API used by the HTTP layer (Magnum's method names).

The names and which are casts or calls are declared in ``moorage.objects.requests``.
"""

from __future__ import annotations

from typing import Any

from moorage.context import RequestContext
from moorage.objects.requests import CALLED, CAST, Operation, Query
from moorage.rpc.transport import Transport

_transport: Transport | None = None


def set_transport(transport: Transport | None) -> None:
    global _transport
    _transport = transport


def transport() -> Transport:
    if _transport is None:
        raise RuntimeError("No conductor transport configured")
    return _transport


def request(ctx: RequestContext, operation: Operation, cluster_uuid: str, **arguments: Any) -> None:
    """Tell the conductors that ``operation`` is recorded on the cluster (a cast named
    after it, as Magnum's); the recorded request, not this message, is what runs."""
    if operation not in CAST:
        raise ValueError(f"{operation} is not a cast")
    transport().cast(ctx, str(operation), cluster_uuid=cluster_uuid, **arguments)


def _call(ctx: RequestContext, method: Operation | Query, **arguments: Any) -> Any:
    if method not in CALLED and not isinstance(method, Query):
        raise ValueError(f"{method} is not a call")
    return transport().call(ctx, str(method), **arguments)


def cluster_upgrade(
    ctx: RequestContext,
    cluster_uuid: str,
    template_uuid: str,
    max_batch_size: int,
    nodegroup_uuid: str,
) -> None:
    _call(
        ctx,
        Operation.CLUSTER_UPGRADE,
        cluster_uuid=cluster_uuid,
        template_uuid=template_uuid,
        max_batch_size=max_batch_size,
        nodegroup_uuid=nodegroup_uuid,
    )


def get_ca_certificate(ctx: RequestContext, cluster_uuid: str) -> str:
    result: str = _call(ctx, Query.GET_CA_CERTIFICATE, cluster_uuid=cluster_uuid)
    return result


def sign_certificate(ctx: RequestContext, cluster_uuid: str, csr: str) -> str:
    result: str = _call(ctx, Query.SIGN_CERTIFICATE, cluster_uuid=cluster_uuid, csr=csr)
    return result


def rotate_ca_certificate(ctx: RequestContext, cluster_uuid: str) -> None:
    _call(ctx, Operation.ROTATE_CA_CERTIFICATE, cluster_uuid=cluster_uuid)


def credential_rotate(ctx: RequestContext, cluster_uuid: str) -> None:
    _call(ctx, Query.CREDENTIAL_ROTATE, cluster_uuid=cluster_uuid)


def cluster_load_image(ctx: RequestContext, cluster_uuid: str, image: str) -> list[str]:
    nodes: list[str] = _call(ctx, Query.CLUSTER_LOAD_IMAGE, cluster_uuid=cluster_uuid, image=image)
    return nodes
