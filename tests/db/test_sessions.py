"""``reading`` and ``transaction`` on every backend, and on PostgreSQL what shows
there only: statements outside a transaction, and the pool's ping of idle connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from moorage.db import migrate, models, session
from tests.support.databases import fresh_database


@pytest.fixture
def postgresql(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database("postgresql", tmp_path) as url:
        engine = session.configure(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


def test_reading_sees_what_a_transaction_committed(db: Engine) -> None:
    with session.transaction() as txn:
        txn.add(models.ClusterTemplate(uuid="t-1", name="seen", project_id="p", coe="swarm"))
    with session.reading() as reader:
        names = reader.scalars(text("SELECT name FROM cluster_template")).all()
    assert names == ["seen"]


def test_reading_refuses_to_write(db: Engine) -> None:
    with (
        pytest.raises(RuntimeError, match="reading"),
        session.reading() as reader,
    ):
        reader.add(models.ClusterTemplate(uuid="t-2", name="lost", project_id="p", coe="swarm"))
    with session.reading() as reader:
        assert reader.scalars(text("SELECT name FROM cluster_template")).all() == []


def test_reading_runs_without_a_transaction_around_it(postgresql: Engine) -> None:
    """In a transaction ``now()`` is when it began, so a later statement's own
    timestamp is after it; outside one, each statement is its own transaction."""
    same = text("SELECT now() = statement_timestamp()")
    with session.reading() as reader:
        reader.execute(text("SELECT pg_sleep(0.01)"))
        assert reader.scalar(same) is True
    with session.transaction() as txn:
        txn.execute(text("SELECT pg_sleep(0.01)"))
        assert txn.scalar(same) is False


def test_a_connection_dropped_while_idle_is_replaced(
    postgresql: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database ends a pooled connection; the next read gets another, no error."""
    backend = text("SELECT pg_backend_pid()")
    with session.reading() as reader:
        first = reader.scalar(backend)
    admin = create_engine(postgresql.url)  # a pool of its own: the service's holds ``first``
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    monkeypatch.setattr(session, "IDLE_BEFORE_PING", 0.0)
    with session.reading() as reader:
        second = reader.scalar(backend)
    assert second not in (None, first)
