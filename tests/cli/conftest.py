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
# Clusters need flavors with a root disk (no boot volume in the embedded catalog).
FLAVORS = ["--flavor", "m1.small", "--master-flavor", "m1.small"]
FAST = ["--wait", "--poll-interval", "0.1", "--wait-timeout", "60"]


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


@pytest.fixture(scope="module")
def swarm_template(server: LiveServer) -> str:
    """A swarm-mode template on the test driver, made once per module."""
    return _template(server, "swarm-tpl", "swarm-mode")


@pytest.fixture(scope="module")
def k8s_template(server: LiveServer) -> str:
    return _template(server, "k8s-tpl", "kubernetes")


def _template(server: LiveServer, name: str, coe: str) -> str:
    args = [*TEMPLATE, *FLAVORS]
    args[args.index("--coe") + 1] = coe
    code = main.run(["--url", server.url, "-f", "value", "template", "create", name, *args])
    assert code == 0
    return name


@pytest.fixture
def make_cluster(cli: Cli, swarm_template: str) -> Callable[..., str]:
    """Create a cluster and wait for CREATE_COMPLETE; returns its uuid."""

    def make(name: str, *extra: str, template: str | None = None) -> str:
        result = cli(
            "-f", "value", "cluster", "create", name,
            "--cluster-template", template or swarm_template, *extra, *FAST,
        )  # fmt: skip
        assert result.code == 0, result.err
        assert result.err.splitlines()[-1] == f"cluster {name}: CREATE_COMPLETE"
        return result.out.strip()

    return make
