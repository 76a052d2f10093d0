"""Schema migrations (Alembic), and the check that refuses an unknown schema."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from moorage import exceptions

_HERE = os.path.join(os.path.dirname(__file__), "migrations")


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", _HERE)
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the difference between models and DB."""
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    return ScriptDirectory.from_config(_config_noengine()).get_current_head()


def _config_noengine() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", _HERE)
    return cfg


def check(engine: Engine) -> None:
    """Refuse to run against a schema this code does not know.

    An older schema means ``moorage-db-manage upgrade`` has not run; a newer one
    means this process is older than the database (a rolling upgrade in the
    wrong order). Either way starting would corrupt or misread data.
    """
    found, wanted = current(engine), head()
    if found != wanted:
        known = {
            s.revision for s in ScriptDirectory.from_config(_config_noengine()).walk_revisions()
        }
        why = "unknown (newer?)" if found is not None and found not in known else "not upgraded"
        raise exceptions.MoorageError(
            f"Database schema is at {found!r}, this Moorage needs {wanted!r} ({why}). "
            "Run 'moorage-db-manage upgrade'."
        )
