"""The one writer of cluster and node group statuses.

Every status the conductor sets goes through ``write``: the move must be in the
transition table (``moorage.objects.status.TRANSITIONS``), and the transaction
must be fenced by the cluster's lease (``moorage.conductor.lease.fenced``), so a
conductor whose lease was taken over cannot move anything. The reason travels
with the status: a new status without one clears the old reason.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from moorage.conductor import specs
from moorage.conductor.lease import require_fence
from moorage.db import models
from moorage.objects.status import IN_PROGRESS, Status, check, outcome


def write(
    session: Session,
    row: models.Cluster | models.NodeGroup,
    status: Status,
    reason: str | None = None,
) -> None:
    cluster_uuid = row.uuid if isinstance(row, models.Cluster) else row.cluster_id
    require_fence(session, cluster_uuid)
    check(row.status, status)
    row.status, row.status_reason = status, reason


def begin(
    session: Session,
    cluster: models.Cluster,
    status: Status,
    nodegroups: Collection[str],
    reason: str | None = None,
) -> None:
    """The cluster and the listed node groups (by uuid) enter ``status``."""
    write(session, cluster, status, reason)
    for group in _listed(session, cluster, nodegroups):
        write(session, group, status, reason)


def finish(
    session: Session,
    cluster: models.Cluster,
    nodegroups: Collection[str],
    success: bool,
    reason: str | None = None,
) -> Status:
    """Whatever of the cluster and the listed node groups is in progress ends.

    Each ends in the COMPLETE or FAILED state of its own operation (a node group
    being created ends CREATE_*, its cluster UPDATE_*); the cluster's new status.
    """
    rows: list[models.Cluster | models.NodeGroup] = [cluster]
    for row in rows + list(_listed(session, cluster, nodegroups)):
        if row.status in IN_PROGRESS:
            write(session, row, outcome(str(row.status), success), reason)
    return Status(str(cluster.status))


def note(session: Session, cluster: models.Cluster, reason: str) -> None:
    """Say where a running operation is (its status stays)."""
    write(session, cluster, Status(str(cluster.status)), reason)


def _listed(
    session: Session, cluster: models.Cluster, nodegroups: Collection[str]
) -> list[models.NodeGroup]:
    return [g for g in specs.nodegroups_of(session, cluster.uuid) if g.uuid in nodegroups]
