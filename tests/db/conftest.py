"""Every DB test runs once per backend against a database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from moorage.db import migrate, session
from tests.support.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as url:
        engine = session.configure(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
