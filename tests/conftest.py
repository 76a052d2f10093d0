"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Every test process keeps its state (SQLite files, CA key) in a scratch directory.
os.environ.setdefault("MOORAGE_TEST_STATE", tempfile.mkdtemp(prefix="moorage-test-"))

from moorage.config import CONF
from tests.support import drivers

drivers.install()

CONF([], project="moorage", default_config_files=[])


@pytest.fixture(autouse=True)
def _state_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    CONF.set_override("state_path", os.environ["MOORAGE_TEST_STATE"])
    yield
    CONF.clear_override("state_path")
