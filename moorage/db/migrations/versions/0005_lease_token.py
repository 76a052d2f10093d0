"""cluster.lease_token: the lease's fencing token

Every take of a cluster's lease increments it, and every write of an operation
checks it, so a conductor whose lease was taken over writes nothing more.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "cluster", sa.Column("lease_token", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    # Not in batch mode on SQLite: rebuilding the table would cascade (see 0003).
    op.drop_column("cluster", "lease_token")
