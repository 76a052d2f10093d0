"""Engine and sessions: one engine per process, one short transaction per unit of work."""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from moorage import exceptions
from moorage.config import CONF, database_url

_lock = threading.Lock()
_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None
_reader: Engine | None = None
# A pooled connection idle for longer than this is pinged before it is used (one
# round trip): long enough that a busy API never pings, short enough that a
# connection the database dropped while it sat in the pool is found out first.
IDLE_BEFORE_PING = 1.0


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
    engine = create_engine(
        url,
        json_deserializer=_json_loads,
        pool_size=CONF.database.max_pool_size,
        pool_timeout=CONF.database.pool_timeout,
        pool_recycle=3600,
    )
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


def _json_loads(data: str | bytes) -> Any:
    """A JSON column's value: psycopg hands ``bytes``, whose encoding ``json.loads``
    would work out first, in Python, for every value (a page of 100 clusters has
    hundreds); they are UTF-8, as PostgreSQL sends them."""
    return json.loads(data if isinstance(data, str) else str(data, "utf-8"))


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections idle ``IDLE_BEFORE_PING`` or more.

    Pinging every checkout was a round trip on every request (a twentieth of a
    20-row page). A connection the database dropped while in use by a busy API is
    found out by the statement that fails on it, which invalidates the pool (a 503
    for that request, ``transaction``); raising DisconnectionError here makes the pool
    take a fresh connection instead, as pre-ping does.
    """
    checked_in = record.info.get("checked_in")
    if checked_in is not None and time.monotonic() - checked_in < IDLE_BEFORE_PING:
        return
    try:
        dialect.do_ping(dbapi_conn)  # the driver's own ping, which leaves no transaction
    except Exception as exc:  # any driver's error: the connection is unusable
        raise DisconnectionError(str(exc)) from exc


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
    global _engine, _factory, _reader
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = make_engine(url or database_url())
        _factory = sessionmaker(bind=_engine, expire_on_commit=False)
        _reader = _engine.execution_options(isolation_level="AUTOCOMMIT")
        return _engine


def engine() -> Engine:
    if _engine is None:
        configure()
    assert _engine is not None
    return _engine


def _sessions() -> sessionmaker[Session]:
    if _factory is None:
        configure()
    assert _factory is not None
    return _factory


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error.

    A database that cannot be reached surfaces as ServiceUnavailable (HTTP 503),
    never as an unhandled driver error.
    """
    session = _sessions()()
    with _errors_of(session):
        yield session
        session.commit()


@contextmanager
def reading() -> Iterator[Session]:
    """A session for reads alone, whose statements run without a transaction around
    them (autocommit): no BEGIN and no COMMIT, two of the four round trips of a page.

    What a read sees is the same on PostgreSQL, whose default READ COMMITTED gives
    each statement of a transaction a snapshot of its own anyway; on MariaDB
    (REPEATABLE READ) the statements of one read no longer share one snapshot,
    which the pages and shows read this way do not need. Writing in it is refused.
    """
    session = _sessions()(bind=_reader)
    with _errors_of(session):
        yield session
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("reading() is for reads: write in transaction()")


@contextmanager
def _errors_of(session: Session) -> Iterator[None]:
    """Roll back on any error, close at the end; an unreachable database is a 503."""
    try:
        yield
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
