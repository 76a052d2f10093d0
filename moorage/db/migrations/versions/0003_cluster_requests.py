"""cluster_request: the requests recorded on a cluster, an ordered queue

Replaces ``cluster.operation``, which held one request and lost it when a second
one was recorded before the first had run. A request recorded there is carried
over (RUNNING when its conductor had begun it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_cluster = sa.table("cluster", sa.column("uuid", sa.String), sa.column("operation", sa.JSON))
_request = sa.table(
    "cluster_request",
    sa.column("id", sa.Integer),
    sa.column("cluster_id", sa.String),
    sa.column("operation", sa.String),
    sa.column("arguments", sa.JSON),
    sa.column("context", sa.JSON),
    sa.column("state", sa.String),
    sa.column("created_at", sa.DateTime),
)


def upgrade() -> None:
    op.create_table(
        "cluster_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cluster_id", sa.String(length=36), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.uuid"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_cluster_request0cluster_id0state", "cluster_request", ["cluster_id", "state"]
    )
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    carried = [
        _carried(uuid, operation, now)
        for uuid, operation in bind.execute(sa.select(_cluster.c.uuid, _cluster.c.operation))
        if operation and operation.get("method")
    ]
    if carried:
        bind.execute(_request.insert(), carried)
    # Not in batch mode: rebuilding the table on SQLite would drop the old one, and
    # its foreign keys would cascade to every node group and request.
    op.drop_column("cluster", "operation")


def _carried(uuid: str, operation: dict[str, Any], now: datetime) -> dict[str, Any]:
    arguments = dict(operation.get("kwargs") or {})
    arguments.pop("cluster_uuid", None)
    return {
        "cluster_id": uuid,
        "operation": operation["method"],
        "arguments": arguments,
        "context": operation.get("context") or {},
        "state": "RUNNING" if operation.get("started") else "PENDING",
        "created_at": now,
    }


def downgrade() -> None:
    op.add_column("cluster", sa.Column("operation", sa.JSON(), nullable=True))
    bind = op.get_bind()
    oldest: dict[str, dict[str, Any]] = {}
    stmt = (
        sa.select(_request.c.cluster_id, _request.c.operation, _request.c.arguments)
        .where(_request.c.state.in_(("PENDING", "RUNNING")))
        .order_by(_request.c.id.desc())
    )
    for uuid, name, arguments in bind.execute(stmt):
        oldest[uuid] = {"method": name, "kwargs": {**arguments, "cluster_uuid": uuid}}
    for uuid, _ in bind.execute(sa.select(_cluster.c.uuid, _cluster.c.operation)):
        bind.execute(
            _cluster.update().where(_cluster.c.uuid == uuid).values(operation=oldest.get(uuid, {}))
        )
    if bind.dialect.name != "sqlite":  # SQLite would rebuild the table (see upgrade)
        op.alter_column("cluster", "operation", existing_type=sa.JSON(), nullable=False)
    op.drop_table("cluster_request")
