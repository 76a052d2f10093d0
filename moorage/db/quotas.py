"""Quota rows and the limits they set (behaviour.md section 5).

Only one resource exists, ``Cluster``: a project's cluster limit is its quota row
for that resource if it has one, else ``[quotas] max_clusters_per_project``.
A create counts the project's clusters and inserts its own in one transaction
that first takes the project's lock (``lock_project``), so that two creates
cannot both pass the count.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from moorage.config import CONF
from moorage.db import models
from moorage.db.models import utcnow

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


def lock_project(session: Session, project_id: str | None) -> None:
    """Hold ``project_id``'s quota lock until the transaction ends.

    Call it first in the transaction that checks the quota and inserts, before
    any read. A concurrent create of the same project waits here until this
    transaction commits or rolls back, and then counts the cluster it inserted;
    other projects do not wait.

    The lock is a row of ``quota_lock`` written by an upsert (inserted on first
    use, updated after): every backend locks a row it writes until the end of
    the transaction, and releases it itself on commit, rollback or a lost
    connection; one statement needs no retry when two first uses race
    (PostgreSQL and MariaDB make the second upsert wait for the first and then
    update). Advisory locks would avoid the table but need a different call per
    backend, and MariaDB's ``GET_LOCK`` outlives the transaction: the connection
    would go back to the pool still holding it unless every path released it.
    A ``SELECT ... FOR UPDATE`` of a missing row takes a gap lock on MariaDB that
    blocks other projects and deadlocks two first uses.

    Why first: MariaDB runs REPEATABLE READ, where every plain read of a
    transaction sees the snapshot of its first read; taken after a read, the lock
    would serialize the creates but the count would still miss the clusters of
    the creates that held it before. PostgreSQL (READ COMMITTED) reads afresh per
    statement. On SQLite the upsert is the transaction's first write, so it takes
    the database's single write lock there and then, before the count (reads
    before a write otherwise run outside any transaction): every writer waits,
    the only way SQLite has.
    """
    key = project_id or ""
    now = utcnow()
    table = models.QuotaLock
    stmt: Any
    dialect = session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        stmt = mysql.insert(table).values(project_id=key, locked_at=now)
        stmt = stmt.on_duplicate_key_update(locked_at=now)
    else:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(table).values(project_id=key, locked_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=["project_id"], set_={"locked_at": now})
    session.execute(stmt)
