"""The state directory and the SQLite file are the owner's only (they hold the CA keys)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from moorage.config import CONF, database_url
from moorage.db import session


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_state_dir_and_sqlite_file_are_private(tmp_path: Path, loose_umask: None) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)  # made by hand, say, before the first start
    CONF.set_override("state_path", str(state))
    try:
        engine = session.make_engine(database_url())
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert mode(state) == 0o700
            assert mode(state / "moorage.sqlite") == 0o600
            assert mode(state / "moorage.sqlite-wal") == 0o600
        engine.dispose()
    finally:
        CONF.clear_override("state_path")


def test_an_existing_sqlite_file_is_made_private(tmp_path: Path, loose_umask: None) -> None:
    db = tmp_path / "old.sqlite"
    db.write_bytes(b"")
    db.chmod(0o644)
    engine = session.make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert mode(db) == 0o600
