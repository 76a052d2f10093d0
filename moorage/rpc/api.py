"""Typed conductor API used by the HTTP layer (Magnum's method names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moorage.context import RequestContext
from moorage.rpc.transport import Transport

_transport: Transport | None = None


def set_transport(transport: Transport | None) -> None:
    global _transport
    _transport = transport


def transport() -> Transport:
    if _transport is None:
        raise RuntimeError("No conductor transport configured")
    return _transport


def cluster_create(ctx: RequestContext, cluster_uuid: str) -> None:
    transport().cast(ctx, "cluster_create", cluster_uuid=cluster_uuid)


def cluster_delete(ctx: RequestContext, cluster_uuid: str) -> None:
    transport().cast(ctx, "cluster_delete", cluster_uuid=cluster_uuid)


def cluster_update(
    ctx: RequestContext,
    cluster_uuid: str,
    node_count: int,
    health_status: str | None,
    health_status_reason: dict[str, Any] | None,
    rollback: bool = False,
) -> None:
    transport().cast(
        ctx,
        "cluster_update",
        cluster_uuid=cluster_uuid,
        node_count=node_count,
        health_status=health_status,
        health_status_reason=health_status_reason,
        rollback=rollback,
    )


def cluster_resize(
    ctx: RequestContext,
    cluster_uuid: str,
    node_count: int,
    nodes_to_remove: Sequence[str],
    nodegroup_uuid: str,
) -> None:
    transport().cast(
        ctx,
        "cluster_resize",
        cluster_uuid=cluster_uuid,
        node_count=node_count,
        nodes_to_remove=list(nodes_to_remove),
        nodegroup_uuid=nodegroup_uuid,
    )


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


def nodegroup_create(ctx: RequestContext, cluster_uuid: str, nodegroup_uuid: str) -> None:
    transport().cast(
        ctx, "nodegroup_create", cluster_uuid=cluster_uuid, nodegroup_uuid=nodegroup_uuid
    )


def nodegroup_update(ctx: RequestContext, cluster_uuid: str, nodegroup_uuid: str) -> None:
    transport().cast(
        ctx, "nodegroup_update", cluster_uuid=cluster_uuid, nodegroup_uuid=nodegroup_uuid
    )


def nodegroup_delete(ctx: RequestContext, cluster_uuid: str, nodegroup_uuid: str) -> None:
    transport().cast(
        ctx, "nodegroup_delete", cluster_uuid=cluster_uuid, nodegroup_uuid=nodegroup_uuid
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
