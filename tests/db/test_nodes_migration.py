"""Migration 0004: node groups gain ``nodes``, NULL (not recorded) for the existing ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from moorage.db import migrate, models, session
from moorage.db.session import transaction
from moorage.objects.nodes import NodeRecord
from tests.db.test_request_migration import (
    _downgrade,
    _nodegroup,
    insert_cluster,
    insert_nodegroup,
)
from tests.support.databases import BACKENDS, fresh_database

NODE = NodeRecord("c-0123abcd-default-worker-1", ("f00dcafe" * 8, "swarm0node0id"), "10.0.0.3")


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_node_groups_have_nothing_recorded(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = session.configure(url)
        try:
            migrate.upgrade(engine, "0003")
            with engine.begin() as conn:
                insert_cluster(conn, "c-1", "CREATE_COMPLETE")
                insert_nodegroup(conn, "c-1", node_addresses=["10.0.0.3"])
            migrate.upgrade(engine)
            with transaction() as s:
                group = s.scalars(select(models.NodeGroup)).one()
                assert (group.node_addresses, group.nodes) == (["10.0.0.3"], None)
                group.nodes = [NODE.to_json()]
            with transaction() as s:
                stored = s.scalars(select(models.NodeGroup.nodes)).one()
                assert [NodeRecord.from_json(n) for n in stored or []] == [NODE]
            _downgrade(engine, "0003")
            columns = {c["name"] for c in inspect(engine).get_columns("nodegroup")}
            assert "nodes" not in columns and "node_addresses" in columns
            with engine.connect() as conn:
                assert conn.execute(select(_nodegroup.c.uuid)).scalars().all() == ["ng"]
        finally:
            engine.dispose()
