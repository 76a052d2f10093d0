"""Fresh databases on the servers of the machine, one per test, dropped after.

PostgreSQL (127.0.0.1:5432, trust) and MariaDB (127.0.0.1:3306, root without
password) are started by CI (.ci/run) on a fresh machine; SQLite needs nothing.
Override the admin URLs with MOORAGE_TEST_POSTGRES / MOORAGE_TEST_MYSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_ADMIN = os.environ.get(
    "MOORAGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get("MOORAGE_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
BACKENDS = ("sqlite", "postgresql", "mysql")


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database of ``backend``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'moorage-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    admin_url = POSTGRES_ADMIN if backend == "postgresql" else MYSQL_ADMIN
    name = f"moorage_test_{uuid.uuid4().hex[:12]}"
    # pre-ping: the server may have been restarted (fault tests) since the database was made
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            suffix = " CHARACTER SET utf8mb4" if backend == "mysql" else ""
            conn.execute(text(f"CREATE DATABASE {name}{suffix}"))
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()
