"""A JSON patch of a cluster (and of a bay, under its old field names)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import limits
from moorage.api.microversion import Version
from moorage.api.views.clusters import COLUMNS, SCHEMA
from moorage.context import RequestContext
from moorage.db import models
from moorage.objects import patch as jsonpatch
from moorage.objects.fields import MISSING
from moorage.objects.requests import Operation
from moorage.services import clusters as services
from moorage.services import nodegroups

# What a PATCH may address (Magnum's cluster object fields), and what it may change.
PATCHABLE = (
    *(k for k in COLUMNS if k not in ("uuid", "stack_id", "api_address", "project_id", "user_id")),
    "labels",
    "health_status_reason",
    "node_count",
    "master_count",
)

PATCH_INTERNAL = (
    "api_address",
    "node_addresses",
    "master_addresses",
    "stack_id",
    "cluster_id",
    "ca_cert_ref",
    "magnum_cert_ref",
    "etcd_ca_cert_ref",
    "front_proxy_ca_cert_ref",
)

CHANGEABLE = frozenset({"node_count", "health_status", "health_status_reason"})


def patched(
    session: Session,
    row: models.Cluster,
    ops: list[dict[str, Any]],
    aliases: Mapping[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Apply a JSON patch to a cluster: the node count to send and the patched fields.

    ``aliases`` maps cluster field names to the names the client addresses
    (bays). Only node_count and the health fields may change (Magnum's rule).
    """
    aliases = aliases or {}
    worker = nodegroups.default_worker(session, row)
    groups = nodegroups.of_cluster(session, row.uuid)
    before = {key: getattr(row, key) for key in PATCHABLE if key in COLUMNS}
    before["labels"] = row.labels or {}
    before["health_status_reason"] = row.health_status_reason or {}
    before["node_count"] = sum(g.node_count for g in groups if g.role != "master")
    before["master_count"] = sum(g.node_count for g in groups if g.role == "master")
    shown = {aliases.get(k, k): v for k, v in before.items()}
    internal = [aliases.get(k, k) for k in PATCH_INTERNAL]
    result = jsonpatch.apply(shown, ops, internal=internal)
    names_back = {v: k for k, v in aliases.items()}
    result = {names_back.get(k, k): v for k, v in result.items()}
    after = {key: result.get(key, _default(key)) for key in before}
    changes = jsonpatch.changed(before, after)
    for key in sorted(changes):
        spec = SCHEMA.get(key)
        if spec is not None and not (spec.readonly or spec.ignored) and after[key] is not None:
            after[key] = spec.type.check(aliases.get(key, key), after[key], False)
    refused = sorted(jsonpatch.changed(before, after) - CHANGEABLE)
    if refused:
        raise exceptions.Invalid(f"cannot change cluster property(ies) {', '.join(refused)}.")
    node_count = worker.node_count
    if any(op["path"] == "/node_count" for op in ops):
        node_count = after["node_count"]
    return node_count, after


def _default(key: str) -> Any:
    spec = SCHEMA.get(key)
    return None if spec is None or spec.default is MISSING else spec.default


def patch_and_dispatch(
    session: Session,
    ctx: RequestContext,
    version: Version,
    row: models.Cluster,
    ops: list[dict[str, Any]],
    rollback: bool,
    aliases: Mapping[str, str] | None = None,
) -> None:
    node_count, after = patched(session, row, ops, aliases)
    limits.check_node_count(version, node_count)
    limits.check_cluster_size(
        session, row, node_count, nodegroups.default_worker(session, row).uuid
    )
    services.dispatch(
        session,
        ctx,
        row,
        Operation.CLUSTER_UPDATE,
        node_count=node_count,
        health_status=after["health_status"],
        health_status_reason=after["health_status_reason"],
        rollback=rollback,
    )
