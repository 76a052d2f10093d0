"""A cluster's node groups: finding them, the default ones a new cluster gets, and
Magnum's rules for a group's counts, node labels and taints."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, Select, String, any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import find as find_row
from moorage.objects import catalog, template_rules
from moorage.objects import labels as labelling
from moorage.objects.requests import Operation
from moorage.objects.status import Status
from moorage.services import templates
from moorage.services.requests import dispatch

KIND = "Nodegroup"

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io")
ALLOWED_LABEL_PREFIXES = ("kubelet.kubernetes.io", "node.kubernetes.io")
ALLOWED_LABEL_KEYS = frozenset(
    {
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/os",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "kubernetes.io/arch",
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "node.kubernetes.io/instance-type",
        "node.kubernetes.io/windows-build",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)


def of_clusters(
    session: Session, cluster_uuids: Sequence[str]
) -> dict[str, list[models.NodeGroup]]:
    """Node groups of several clusters in one query, in creation order."""
    groups: dict[str, list[models.NodeGroup]] = {uuid: [] for uuid in cluster_uuids}
    stmt = (
        select(models.NodeGroup)
        .where(models.NodeGroup.cluster_id.in_(list(cluster_uuids)))
        .order_by(models.NodeGroup.id)
    )
    for group in session.scalars(stmt):
        groups[group.cluster_id].append(group)
    return groups


# What presenting a cluster reads of its node groups (``summaries_of``).
SUMMARY_COLUMNS = (
    "cluster_id",
    "name",
    "role",
    "node_count",
    "node_addresses",
    "status",
    "status_reason",
)


def _summaries(one_of: Any) -> Select[Any]:
    table = models.NodeGroup.__table__
    columns = (table.c[name] for name in SUMMARY_COLUMNS)
    return select(*columns).where(one_of(table.c.cluster_id)).order_by(table.c.id)


# Built once: a statement built per page, and its cache key, cost as much as running it.
# PostgreSQL takes the page's clusters as one array (= ANY), half the time of 100 values
# expanded into IN (...) on every execution.
_SUMMARIES = _summaries(lambda column: column.in_(bindparam("clusters", expanding=True)))
_SUMMARIES_PG = _summaries(
    lambda column: column == any_(bindparam("clusters", type_=postgresql.ARRAY(String)))
)


def summaries_of(session: Session, cluster_uuids: Sequence[str]) -> dict[str, list[Row[Any]]]:
    """``of_clusters`` for reading only: plain rows of ``SUMMARY_COLUMNS``, not ORM
    objects, whose construction was a third of the time of a page of 100 clusters."""
    groups: dict[str, list[Row[Any]]] = {uuid: [] for uuid in cluster_uuids}
    pg = session.get_bind().dialect.name == "postgresql"
    stmt = _SUMMARIES_PG if pg else _SUMMARIES
    # all(): iterating a result fetches one row at a time from the driver.
    for group in session.execute(stmt, {"clusters": list(cluster_uuids)}).all():
        groups[group.cluster_id].append(group)
    return groups


def of_cluster(session: Session, cluster_uuid: str) -> list[models.NodeGroup]:
    """One cluster's node groups, in creation order (``default-master`` first)."""
    return of_clusters(session, [cluster_uuid])[cluster_uuid]


def default_worker(session: Session, cluster: models.Cluster) -> models.NodeGroup:
    """The group Magnum's cluster-level ``node_count`` addresses."""
    for group in of_cluster(session, cluster.uuid):
        if group.is_default and group.role != "master":
            return group
    raise exceptions.ResourceNotFound(KIND, "default-worker")


def by_uuid(session: Session, cluster: models.Cluster, nodegroup_uuid: str) -> models.NodeGroup:
    """A group the conductor was asked to work on, which must belong to ``cluster``."""
    for group in of_cluster(session, cluster.uuid):
        if group.uuid == nodegroup_uuid:
            return group
    raise exceptions.ResourceNotFound(KIND, nodegroup_uuid)


def find(
    session: Session, ctx: RequestContext, cluster: models.Cluster, ident: str | None
) -> models.NodeGroup:
    """A node group of ``cluster`` by uuid, integer id or name; none named: the default worker."""
    if not ident:
        return default_worker(session, cluster)
    extra = models.NodeGroup.cluster_id == cluster.uuid
    return find_row(session, models.NodeGroup, KIND, ident, ctx, extra=extra, by_id=True)


def _min_node_count(labels: Mapping[str, str]) -> int:
    value = labels.get("min_node_count", "0")
    return int(value) if value.isdigit() else 0


def defaults(
    cluster: models.Cluster, template: models.ClusterTemplate, master_count: int, node_count: int
) -> list[models.NodeGroup]:
    """``default-master`` then ``default-worker``, as Magnum's conductor makes them."""
    labels = cluster.labels
    common: dict[str, Any] = {
        "cluster_id": cluster.uuid,
        "project_id": cluster.project_id,
        "labels": dict(labels),
        "image_id": template.image_id,
        "docker_volume_size": cluster.docker_volume_size,
        "is_default": True,
        "status": Status.CREATE_IN_PROGRESS,
    }
    return [
        models.NodeGroup(
            uuid=str(uuidlib.uuid4()),
            name=name,
            role=role,
            node_count=count,
            flavor_id=flavor,
            min_node_count=minimum,
            **common,
        )
        for name, role, count, flavor, minimum in (
            ("default-master", "master", master_count, cluster.master_flavor_id, 0),
            ("default-worker", "worker", node_count, cluster.flavor_id, _min_node_count(labels)),
        )
    ]


def _invalid(attr: str, name: str, why: str) -> exceptions.Conflict:
    return exceptions.Conflict(f"{attr} for {name} is invalid ({why}).")


def check_counts(name: str, node_count: int, low: int, high: int | None) -> None:
    if high is not None and high < low:
        raise _invalid(
            "max_node_count",
            name,
            f"min_node_count ({low}) should be less or equal to max_node_count ({high})",
        )
    if high is not None and node_count > high:
        raise _invalid(
            "max_node_count",
            name,
            f"node_count ({node_count}) should be less or equal to max_node_count ({high})",
        )
    if low > node_count:
        raise _invalid(
            "min_node_count",
            name,
            f"min_node_count ({low}) should be less or equal to node_count ({node_count})",
        )


def _reserved(key: str) -> bool:
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if key in ALLOWED_LABEL_KEYS or prefix in ALLOWED_LABEL_PREFIXES:
        return False
    return any(prefix == d or prefix.endswith("." + d) for d in RESERVED_LABEL_DOMAINS)


def check_node_labels_and_taints(
    name: str, role: str | None, node_labels: Mapping[str, str], node_taints: list[Any]
) -> None:
    for attr, value in (("node_labels", node_labels), ("node_taints", node_taints)):
        if value and role == "master":
            raise _invalid(attr, name, f"{attr} may not be set on master nodegroups")
    for key in node_labels:
        if _reserved(key):
            raise _invalid("node_labels", name, f"the label key {key} is in a reserved namespace")
    for taint in node_taints:
        if not isinstance(taint, dict) or not set(taint) <= {"key", "value", "effect"}:
            raise _invalid(
                "node_taints", name, "a taint is an object with only key, value and effect"
            )
        if not taint.get("key"):
            raise _invalid("node_taints", name, "a taint needs a non-empty key")
        if taint.get("effect") not in TAINT_EFFECTS:
            raise _invalid(
                "node_taints", name, "a taint's effect must be one of " + ", ".join(TAINT_EFFECTS)
            )


def taints(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise exceptions.InvalidInput(
            "node_taints", value, f"Wrong type. Expected '<class 'list'>', got '{type(value)}'"
        )
    return value


def check_new(session: Session, cluster: models.Cluster, name: str) -> None:
    """A group is added once the cluster has an API address, under a name not yet taken."""
    if not cluster.api_address:
        raise exceptions.Conflict("Cluster API address is not available yet")
    if name in {g.name for g in of_cluster(session, cluster.uuid)}:
        raise exceptions.Conflict(
            f"A node group with name {name} already exists in the cluster {cluster.name}."
        )


def _template_image(session: Session, cluster: models.Cluster) -> str | None:
    template = templates.of_cluster(session, cluster)
    return None if template is None else template.image_id


def create(
    session: Session,
    ctx: RequestContext,
    cluster: models.Cluster,
    values: dict[str, Any],
    taints: list[Any],
) -> models.NodeGroup:
    """Magnum's remaining checks of a new group, then its row and the recorded request.

    ``values`` are the parsed request fields, after ``check_new`` and the size checks.
    """
    name = values["name"]
    check_node_labels_and_taints(name, values["role"], values.get("node_labels") or {}, taints)
    if values["role"] == "master":
        raise exceptions.Invalid("Creating master nodegroups is currently not supported.")
    labels = labelling.merged(cluster.labels or {}, values.get("labels"), values["merge_labels"])
    flavor = values.get("flavor_id") or cluster.flavor_id
    template_rules.check_flavors(labels, flavor)
    if values.get("image_id") is not None:
        catalog.find_image(values["image_id"])  # any local image would become a node
    group = models.NodeGroup(
        uuid=str(uuidlib.uuid4()),
        name=name,
        cluster_id=cluster.uuid,
        project_id=ctx.project_id,
        docker_volume_size=values.get("docker_volume_size"),
        labels=labels,
        flavor_id=flavor,
        image_id=values.get("image_id") or _template_image(session, cluster),
        node_count=values["node_count"],
        role=values["role"],
        min_node_count=values["min_node_count"],
        max_node_count=values.get("max_node_count"),
        node_labels=values.get("node_labels") or {},
        node_taints=taints,
        is_default=False,
        status=Status.CREATE_IN_PROGRESS,
    )
    session.add(group)
    dispatch(session, ctx, cluster, Operation.NODEGROUP_CREATE, nodegroup_uuid=group.uuid)
    return group
