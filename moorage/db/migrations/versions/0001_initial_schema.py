"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:42:25.350034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("cluster_template_id", sa.String(length=255), nullable=True),
        sa.Column("keypair", sa.String(length=255), nullable=True),
        sa.Column("docker_volume_size", sa.Integer(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("master_flavor_id", sa.String(length=255), nullable=True),
        sa.Column("flavor_id", sa.String(length=255), nullable=True),
        sa.Column("stack_id", sa.String(length=255), nullable=True),
        sa.Column("api_address", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("health_status", sa.String(length=20), nullable=True),
        sa.Column("health_status_reason", sa.JSON(), nullable=False),
        sa.Column("create_timeout", sa.Integer(), nullable=True),
        sa.Column("discovery_url", sa.String(length=255), nullable=True),
        sa.Column("coe_version", sa.String(length=255), nullable=True),
        sa.Column("container_version", sa.String(length=255), nullable=True),
        sa.Column("ca_cert_ref", sa.String(length=255), nullable=True),
        sa.Column("magnum_cert_ref", sa.String(length=255), nullable=True),
        sa.Column("etcd_ca_cert_ref", sa.String(length=255), nullable=True),
        sa.Column("front_proxy_ca_cert_ref", sa.String(length=255), nullable=True),
        sa.Column("fixed_network", sa.String(length=255), nullable=True),
        sa.Column("fixed_subnet", sa.String(length=255), nullable=True),
        sa.Column("floating_ip_enabled", sa.Boolean(), nullable=False),
        sa.Column("master_lb_enabled", sa.Boolean(), nullable=False),
        sa.Column("operation", sa.JSON(), nullable=False),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid", name="uniq_cluster0uuid"),
    )
    op.create_table(
        "cluster_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("image_id", sa.String(length=255), nullable=True),
        sa.Column("flavor_id", sa.String(length=255), nullable=True),
        sa.Column("master_flavor_id", sa.String(length=255), nullable=True),
        sa.Column("keypair_id", sa.String(length=255), nullable=True),
        sa.Column("external_network_id", sa.String(length=255), nullable=True),
        sa.Column("fixed_network", sa.String(length=255), nullable=True),
        sa.Column("fixed_subnet", sa.String(length=255), nullable=True),
        sa.Column("network_driver", sa.String(length=255), nullable=True),
        sa.Column("volume_driver", sa.String(length=255), nullable=True),
        sa.Column("dns_nameserver", sa.String(length=255), nullable=True),
        sa.Column("apiserver_port", sa.Integer(), nullable=True),
        sa.Column("docker_volume_size", sa.Integer(), nullable=True),
        sa.Column("docker_storage_driver", sa.String(length=255), nullable=True),
        sa.Column("cluster_distro", sa.String(length=255), nullable=True),
        sa.Column("coe", sa.String(length=255), nullable=True),
        sa.Column("http_proxy", sa.String(length=255), nullable=True),
        sa.Column("https_proxy", sa.String(length=255), nullable=True),
        sa.Column("no_proxy", sa.String(length=255), nullable=True),
        sa.Column("registry_enabled", sa.Boolean(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("tls_disabled", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("server_type", sa.String(length=255), nullable=True),
        sa.Column("insecure_registry", sa.String(length=255), nullable=True),
        sa.Column("master_lb_enabled", sa.Boolean(), nullable=False),
        sa.Column("floating_ip_enabled", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.String(length=255), nullable=True),
        sa.Column("driver", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid", name="uniq_cluster_template0uuid"),
    )
    op.create_table(
        "federation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("hostcluster_id", sa.String(length=255), nullable=True),
        sa.Column("member_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid", name="uniq_federation0uuid"),
    )
    op.create_table(
        "magnum_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("binary", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=255), nullable=True),
        sa.Column("last_seen_up", sa.DateTime(), nullable=True),
        sa.Column("forced_down", sa.Boolean(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("host", "binary", name="uniq_magnum_service0host0binary"),
    )
    op.create_table(
        "quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "resource", name="uniq_quotas0project_id0resource"),
    )
    op.create_table(
        "x509keypair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("intermediates", sa.Text(), nullable=True),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid", name="uniq_x509keypair0uuid"),
    )
    op.create_table(
        "nodegroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("cluster_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=True),
        sa.Column("docker_volume_size", sa.Integer(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("flavor_id", sa.String(length=255), nullable=True),
        sa.Column("image_id", sa.String(length=255), nullable=True),
        sa.Column("node_addresses", sa.JSON(), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=255), nullable=True),
        sa.Column("max_node_count", sa.Integer(), nullable=True),
        sa.Column("min_node_count", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("stack_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.Column("node_labels", sa.JSON(), nullable=False),
        sa.Column("node_taints", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.uuid"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cluster_id", "name", name="uniq_nodegroup0cluster_id0name"),
        sa.UniqueConstraint("uuid", name="uniq_nodegroup0uuid"),
    )


def downgrade() -> None:
    op.drop_table("nodegroup")
    op.drop_table("x509keypair")
    op.drop_table("quotas")
    op.drop_table("magnum_service")
    op.drop_table("federation")
    op.drop_table("cluster_template")
    op.drop_table("cluster")
