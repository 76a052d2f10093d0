"""The cluster limit a project gets: its quota row, else the configured default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moorage.config import CONF
from moorage.db import migrate, models, quotas, session


@pytest.fixture
def db(tmp_path: Path) -> Iterator[None]:
    session.configure(f"sqlite:///{tmp_path / 'q.sqlite'}")
    migrate.upgrade(session.engine())
    yield
    session.engine().dispose()


def test_default_then_row(db: None) -> None:
    CONF.set_override("max_clusters_per_project", 7, group="quotas")
    try:
        with session.transaction() as s:
            assert quotas.cluster_limit(s, "p1") == 7
            s.add(models.Quota(project_id="p1", resource="Cluster", hard_limit=0))
        with session.transaction() as s:
            assert quotas.cluster_limit(s, "p1") == 0
            assert quotas.cluster_limit(s, "p2") == 7
    finally:
        CONF.clear_override("max_clusters_per_project", group="quotas")
