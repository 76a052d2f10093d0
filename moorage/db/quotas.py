"""Quota rows and the limits they set (behaviour.md section 5).

Only one resource exists, ``Cluster``: a project's cluster limit is its quota row
for that resource if it has one, else ``[quotas] max_clusters_per_project``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage.config import CONF
from moorage.db import models

CLUSTER = "Cluster"


def find(session: Session, project_id: str | None, resource: str = CLUSTER) -> models.Quota | None:
    """The quota row of ``(project_id, resource)``, or None when there is none."""
    return session.scalar(
        select(models.Quota).where(
            models.Quota.project_id == project_id, models.Quota.resource == resource
        )
    )


def default_limit() -> int:
    """The limit of a project without a quota row."""
    return int(CONF.quotas.max_clusters_per_project)


def cluster_limit(session: Session, project_id: str | None) -> int:
    """How many clusters ``project_id`` may own (any status counts against it)."""
    row = find(session, project_id, CLUSTER)
    return row.hard_limit if row is not None else default_limit()
