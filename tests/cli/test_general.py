"""Global options, errors, the entry point, and the layer boundary of the client."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moorage.cli import main
from tests.api.conftest import wait_for
from tests.cli.conftest import TEMPLATE, Cli
from tests.support.live import LiveServer, free_port, serve

CLI_DIR = Path(main.__file__).parent
ROOT = CLI_DIR.parents[1]
MOORAGE = Path(sys.executable).parent / "moorage"


def test_connection_refused_names_the_url(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("template", "list", url=url)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(f"ERROR: cannot connect to Moorage at {url}:")
    assert "MOORAGE_URL" in result.err


def test_url_from_environment(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOORAGE_URL", server.url + "/v1/")
    assert main.run(["template", "create", "from-env", *TEMPLATE]) == 0
    assert main.run(["-f", "value", "template", "list"]) == 0
    assert "from-env" in capsys.readouterr().out


def test_api_version_is_sent(cli: Cli) -> None:
    result = cli("--api-version", "2.1", "template", "list")
    assert result.code == 1
    assert result.err.strip() == "ERROR: Requested microversion is unsupported (HTTP 406)"
    assert cli("--api-version", "1.1", "template", "list").code == 0


def test_console_script_exit_status_and_streams(server: LiveServer) -> None:
    ok = subprocess.run(
        [str(MOORAGE), "--url", server.url, "template", "create", "script", *TEMPLATE],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Request to create cluster template script accepted\n")
    missing = subprocess.run(
        [str(MOORAGE), "--url", server.url, "template", "show", "no-such"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr == "ERROR: ClusterTemplate no-such could not be found (HTTP 404)\n"


def test_version_is_the_package_version() -> None:
    done = subprocess.run([str(MOORAGE), "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"moorage {importlib.metadata.version('moorage')}\n"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main.main(["template", "create", "x"])
    assert exc.value.code == 2
    assert "--coe" in capsys.readouterr().err


def test_serve_delegates_to_cmd_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    import moorage.cmd.serve

    seen: list[list[str]] = []
    monkeypatch.setattr(moorage.cmd.serve, "run", seen.append)
    main.main(["serve", "--config-file", "x.conf"])
    assert seen == [["--config-file", "x.conf"]]


def test_serve_through_the_cli_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m moorage.cli.main serve`` is a working service (no test driver)."""
    with serve(tmp_path, fake=False) as live:
        assert main.run(["--url", live.url, "template", "list"]) == 0
        # The access line is written once the answer has gone out: a moment after the
        # client has it.
        access = '"GET /v1/clustertemplates" 200 '
        wait_for(lambda: access in live.log_file.read_text())
        log = live.log_file.read_text()
    assert capsys.readouterr().out.splitlines() == ["uuid  name  tags", "----  ----  ----"]
    assert f"Moorage API listening on {live.url}/ " in log
    assert access in log  # the access log


FORBIDDEN = ("moorage.db", "moorage.conductor", "moorage.drivers", "moorage.api")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_client_imports_only_stdlib_httpx_cryptography_config_and_itself() -> None:
    allowed_third_party = ("httpx", "cryptography")
    for path in sorted(CLI_DIR.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top in allowed_third_party or top == "__future__":
                continue
            if name.startswith("moorage.cli") or name == "moorage.config":
                continue
            # `moorage serve` keeps delegating to the service's own entry.
            assert (path.name, name) == ("main.py", "moorage.cmd.serve"), (path.name, name)


def test_loading_the_client_loads_no_server_layer() -> None:
    code = (
        "import sys, moorage.cli.main as m; m.parser();"
        f"bad = [n for n in sys.modules if n.startswith({FORBIDDEN!r})];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
