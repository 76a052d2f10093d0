"""The CLI in-process (``moorage.cli.main.run``) against a real ``moorage serve``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from moorage.cli import main
from tests.support.live import LiveServer, serve

TEMPLATE = ["--coe", "swarm-mode", "--image", "fake-image", "--external-network", "public"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def table(self) -> list[list[str]]:
        """Rows of a table (header and rule dropped), split on runs of two spaces."""
        lines = self.out.splitlines()
        assert set(lines[1].replace(" ", "")) == {"-"}, self.out
        return [[c.strip() for c in line.split("  ") if c.strip()] for line in lines[2:]]


Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("serve")) as live:
        yield live


@pytest.fixture
def cli(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str, url: str | None = None) -> Result:
        code = main.run(["--url", url or server.url, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
