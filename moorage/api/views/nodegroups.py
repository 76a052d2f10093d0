"""A node group's fields: what a request may send and how a group is shown."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from moorage.api.common import iso, links
from moorage.db import models
from moorage.objects import labels as labelling
from moorage.objects.fields import AnyJson, Bool, Field, Int, Labels, Schema, Str
from moorage.services import nodegroups as services

KIND = services.KIND

SCHEMA: Schema = {
    **{
        key: Field(AnyJson(), ignored=True)
        for key in (
            "id",
            "uuid",
            "cluster_id",
            "is_default",
            "status",
            "status_reason",
            "version",
            "labels_overridden",
            "labels_added",
            "labels_skipped",
        )
    },
    "name": Field(Str(1, 255), mandatory=True),
    "docker_volume_size": Field(Int(1)),
    "labels": Field(Labels()),
    "merge_labels": Field(Bool(), default=False),
    "flavor_id": Field(Str(1, 255)),
    "image_id": Field(Str(1, 255)),
    "node_count": Field(Int(0), default=1),
    "role": Field(Str(1, 255), default="worker"),
    "min_node_count": Field(Int(0), default=0),
    "max_node_count": Field(Int(0)),
    "node_labels": Field(Labels()),
    "node_taints": Field(AnyJson()),
    **{
        key: Field(Str(), readonly=True)
        for key in (
            "project_id",
            "node_addresses",
            "stack_id",
            "links",
            "created_at",
            "updated_at",
        )
    },
}

COLUMNS = (
    "id",
    "uuid",
    "name",
    "cluster_id",
    "project_id",
    "docker_volume_size",
    "flavor_id",
    "image_id",
    "node_count",
    "role",
    "min_node_count",
    "max_node_count",
    "is_default",
    "stack_id",
    "status",
    "status_reason",
    "version",
)

LIST_KEYS = (
    "uuid",
    "name",
    "flavor_id",
    "node_count",
    "role",
    "is_default",
    "image_id",
    "status",
    "stack_id",
)

PRESTORE_KEYS = (
    "uuid",
    "cluster_id",
    "project_id",
    "image_id",
    "flavor_id",
    "labels",
    "name",
    "node_count",
    "role",
    "min_node_count",
    "max_node_count",
)

# Always rendered in list items with their declared defaults, whatever the group has.
LIST_DEFAULTS = {"min_node_count": 0, "max_node_count": None, "merge_labels": False}

PATCHABLE: dict[str, Any] = {
    "min_node_count": 0,
    "max_node_count": None,
    "node_labels": {},
    "node_taints": [],
}

PATCH_INTERNAL = (
    *(k for k in COLUMNS if k not in PATCHABLE),
    "labels",
    "merge_labels",
    "node_addresses",
    "links",
)


def group_links(request: Request, group: models.NodeGroup) -> list[dict[str, str]]:
    return links(request, f"clusters/{group.cluster_id}/nodegroups", group.uuid)


def show(request: Request, cluster: models.Cluster, group: models.NodeGroup) -> dict[str, Any]:
    body = {key: getattr(group, key) for key in COLUMNS}
    body["labels"] = group.labels or {}
    body.update(labelling.differences(cluster.labels or {}, body["labels"]))
    body["node_addresses"] = group.node_addresses or []
    body["node_labels"] = group.node_labels or {}
    body["node_taints"] = group.node_taints or []
    body["merge_labels"] = False
    body["links"] = group_links(request, group)
    body["created_at"] = iso(group.created_at)
    body["updated_at"] = iso(group.updated_at)
    return body


def item(group: models.NodeGroup) -> dict[str, Any]:
    return {**{key: getattr(group, key) for key in LIST_KEYS}, **LIST_DEFAULTS}
