"""What one request may ask for: the size of its body, the depth of its JSON, the nodes.

Checked before anything is parsed further or written, so that no part of Moorage
(API, conductor, driver) allocates in proportion to a size or a count a client
sent. Counts beyond their database column are refused by the field types
(``moorage.objects.fields.Int``); these are the limits that need more than a field.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api.microversion import Version
from moorage.config import CONF
from moorage.db import models
from moorage.services import templates

ZERO_NODES = "Resizing a nodegroup to zero is not supported in the provided microversion."

# Deeper than any request object (a node taint is three levels down); code that
# walks JSON recursively (labels, patches, the JSON columns) stays far from the
# interpreter's recursion limit.
MAX_JSON_DEPTH = 32
# More digits than any body size: compared as text, never converted (int() refuses
# strings over 4300 digits).
_MAX_LENGTH_DIGITS = 18


def _declared_too_large(header: str | None, limit: int) -> bool:
    digits = (header or "").strip().lstrip("0")
    return digits.isdigit() and (len(digits) > _MAX_LENGTH_DIGITS or int(digits) > limit)


async def read_body(request: Request) -> bytes:
    """The body, refused (413) past ``[oslo_middleware] max_request_body_size``.

    A declared Content-Length over the limit is refused before reading; a body
    without one (chunked) is counted while it arrives.
    """
    limit = CONF.oslo_middleware.max_request_body_size
    if _declared_too_large(request.headers.get("content-length"), limit):
        raise exceptions.RequestTooLarge(limit)
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise exceptions.RequestTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_deep() -> exceptions.Invalid:
    return exceptions.Invalid(f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels.")


def check_depth(document: Any) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise too_deep()
        pending.extend((child, depth + 1) for child in children)


def check_node_count(version: Version, node_count: int) -> None:
    """Zero nodes in a group are allowed from 1.10 on."""
    if node_count == 0 and not version.at_least(10):
        raise exceptions.Invalid(ZERO_NODES)


def check_cluster_size(
    session: Session, cluster: models.Cluster, node_count: int, group_uuid: str | None = None
) -> None:
    """Refuse ``node_count`` nodes for a group (None: a new one) past the cluster's limit.

    Every node group counts, masters included. A group that shrinks or keeps its
    size is never refused, so that a cluster over a limit lowered since can shrink.
    """
    rows = session.execute(
        select(models.NodeGroup.uuid, models.NodeGroup.node_count).where(
            models.NodeGroup.cluster_id == cluster.uuid
        )
    ).all()
    current = sum(count for uuid, count in rows if uuid == group_uuid)
    if node_count <= current:
        return
    others = sum(count for uuid, count in rows if uuid != group_uuid)
    templates.driver_of(session, cluster).validate_cluster_size(others + node_count)


def check_max_node_count(session: Session, cluster: models.Cluster, value: int | None) -> None:
    """A group's ``max_node_count`` may not pass the cluster's own limit."""
    if value is None:
        return
    limit, source = templates.driver_of(session, cluster).node_limit()
    if value > limit:
        raise exceptions.InvalidInput(
            "max_node_count",
            value,
            f"Value should be lower or equal to {limit}, the most nodes a cluster may have "
            f"({source})",
        )
