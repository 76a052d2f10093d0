"""Typed conductor API used by the HTTP layer (Magnum's method names)."""

from __future__ import annotations

from typing import Any

from moorage.context import RequestContext
from moorage.objects.requests import Operation
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
    transport().cast(ctx, str(operation), cluster_uuid=cluster_uuid, **arguments)


def cluster_upgrade(
    ctx: RequestContext,
    cluster_uuid: str,
    template_uuid: str,
    max_batch_size: int,
    nodegroup_uuid: str,
) -> None:
    transport().call(
        ctx,
        "cluster_upgrade",
        cluster_uuid=cluster_uuid,
        template_uuid=template_uuid,
        max_batch_size=max_batch_size,
        nodegroup_uuid=nodegroup_uuid,
    )


def get_ca_certificate(ctx: RequestContext, cluster_uuid: str) -> str:
    result: str = transport().call(ctx, "get_ca_certificate", cluster_uuid=cluster_uuid)
    return result


def sign_certificate(ctx: RequestContext, cluster_uuid: str, csr: str) -> str:
    result: str = transport().call(ctx, "sign_certificate", cluster_uuid=cluster_uuid, csr=csr)
    return result


def rotate_ca_certificate(ctx: RequestContext, cluster_uuid: str) -> None:
    transport().call(ctx, "rotate_ca_certificate", cluster_uuid=cluster_uuid)


def credential_rotate(ctx: RequestContext, cluster_uuid: str) -> None:
    transport().call(ctx, "credential_rotate", cluster_uuid=cluster_uuid)


def cluster_load_image(ctx: RequestContext, cluster_uuid: str, image: str) -> list[str]:
    nodes: list[str] = transport().call(
        ctx, "cluster_load_image", cluster_uuid=cluster_uuid, image=image
    )
    return nodes
