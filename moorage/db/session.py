"""Engine and sessions: one engine per process, one short transaction per unit of work."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from moorage import exceptions
from moorage.config import CONF, database_url

_lock = threading.Lock()
_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def make_engine(url: str) -> Engine:
    """Create an engine with settings that suit each backend.

    SQLite gets WAL and a busy timeout so the API and the conductor threads of
    ``moorage serve`` can write the same file without "database is locked".
    """
    if url.startswith("sqlite"):
        _make_private(make_url(url).database)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=CONF.database.max_pool_size,
        pool_timeout=CONF.database.pool_timeout,
        pool_recycle=3600,
    )


def _make_private(database: str | None) -> None:
    """Create the SQLite file (or fix an old one) readable by the owner only, 0600.

    SQLite would create it by the umask (0644 usually) and gives its -wal and -shm
    files the mode of the database file.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT, 0o600)
    except FileNotFoundError:
        return  # no such directory: SQLite says so on the first connect
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def configure(url: str | None = None) -> Engine:
    """(Re)bind the process to a database; the default URL comes from config."""
    global _engine, _factory
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = make_engine(url or database_url())
        _factory = sessionmaker(bind=_engine, expire_on_commit=False)
        return _engine


def engine() -> Engine:
    if _engine is None:
        configure()
    assert _engine is not None
    return _engine


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error.

    A database that cannot be reached surfaces as ServiceUnavailable (HTTP 503),
    never as an unhandled driver error.
    """
    if _factory is None:
        configure()
    assert _factory is not None
    session = _factory()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        if exc.connection_invalidated or _is_connection_error(exc):
            raise exceptions.ServiceUnavailable() from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_connection_error(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in (
            "connection refused",
            "could not connect",
            "server closed",
            "lost connection",
            "can't connect",
            "terminating connection",
            # PostgreSQL while it stops or starts ("the database system is shutting down",
            # "... is starting up", "... is in recovery mode"); psycopg's failed connects
            "database system is",
            "connection failed",
            "connection is closed",
            # MariaDB/MySQL when the server went away between two statements
            "server has gone away",
        )
    )
