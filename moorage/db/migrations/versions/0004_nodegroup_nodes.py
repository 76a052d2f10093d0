"""nodegroup.nodes: each node group's nodes as its driver last reported them

What lets the API check a resize's ``nodes_to_remove`` before accepting it. Existing
node groups get NULL (nothing recorded): the API accepts their ``nodes_to_remove``
unchecked, as before, until the next operation on the cluster records its nodes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("nodegroup", sa.Column("nodes", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: SQLite (3.35+) drops a column without constraints in place;
    # rebuilding the table would cascade its foreign keys (see 0003).
    op.drop_column("nodegroup", "nodes")
