"""Migration 0003: a request recorded on ``cluster.operation`` survives into the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, Connection, Engine, column, select, table

from moorage.db import migrate, models, session
from moorage.db.session import transaction
from tests.support.databases import BACKENDS, fresh_database

_cluster = table(
    "cluster",
    column("uuid"),
    column("status"),
    column("labels", JSON),
    column("health_status_reason", JSON),
    column("floating_ip_enabled"),
    column("master_lb_enabled"),
    column("operation", JSON),
)

_nodegroup = table(
    "nodegroup",
    *(column(name) for name in ("uuid", "name", "cluster_id", "node_count", "min_node_count")),
    column("is_default"),
    *(column(name, JSON) for name in ("labels", "node_addresses", "node_labels", "node_taints")),
)


def insert_cluster(conn: Connection, uuid: str, status: str, **values: Any) -> None:
    """A cluster row as an old schema holds it (no ORM: the models are the newest)."""
    conn.execute(
        _cluster.insert().values(
            uuid=uuid,
            status=status,
            labels={},
            health_status_reason={},
            floating_ip_enabled=True,
            master_lb_enabled=False,
            **values,
        )
    )


def insert_nodegroup(
    conn: Connection, cluster: str, node_addresses: list[str] | None = None
) -> None:
    conn.execute(
        _nodegroup.insert().values(
            uuid="ng",
            name="default-worker",
            cluster_id=cluster,
            labels={},
            node_addresses=node_addresses or [],
            node_count=1,
            min_node_count=0,
            is_default=True,
            node_labels={},
            node_taints=[],
        )
    )


def _downgrade(engine: Engine, revision: str) -> None:
    """What an operator rolling back runs (``alembic downgrade``); moorage has no command."""
    cfg = migrate._config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_recorded_request_is_carried_into_the_queue_and_back(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = session.configure(url)
        try:
            migrate.upgrade(engine, "0002")
            resize = {
                "method": "cluster_resize",
                "kwargs": {"cluster_uuid": "c-1", "node_count": 3, "nodegroup_uuid": "ng"},
                "context": {"user_id": "alice"},
                "started": True,
            }
            with engine.begin() as conn:
                for uuid, operation in (("c-1", resize), ("c-2", {})):
                    insert_cluster(conn, uuid, "UPDATE_IN_PROGRESS", operation=operation)
                insert_nodegroup(conn, "c-1")
            migrate.upgrade(engine)
            with transaction() as s:
                # the cluster table is not rebuilt: nothing cascades to its node groups
                assert s.scalars(select(models.NodeGroup.uuid)).all() == ["ng"]
                rows = s.scalars(select(models.ClusterRequest)).all()
                assert [
                    (r.cluster_id, r.operation, r.arguments, r.context, r.state) for r in rows
                ] == [
                    (
                        "c-1",
                        "cluster_resize",
                        {"node_count": 3, "nodegroup_uuid": "ng"},
                        {"user_id": "alice"},
                        "RUNNING",
                    )
                ]
            _downgrade(engine, "0002")
            with engine.connect() as conn:
                back = dict(conn.execute(select(_cluster.c.uuid, _cluster.c.operation)).all())
            assert back == {
                "c-1": {"method": "cluster_resize", "kwargs": resize["kwargs"]},
                "c-2": {},
            }
        finally:
            engine.dispose()
