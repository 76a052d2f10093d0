"""``--user``/``--password`` (and MOORAGE_USER/MOORAGE_PASSWORD) against HTTP basic auth."""

from __future__ import annotations

from collections.abc import Iterator

import bcrypt
import pytest

from moorage.cli import main
from tests.cli.conftest import TEMPLATE, Result
from tests.support.live import LiveServer, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("auth")
    digest = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    (tmp / "htpasswd").write_text(f"alice:{digest}\n")
    (tmp / "users.yaml").write_text("users:\n  alice:\n    project_id: p-a\n    roles: [member]\n")
    extra = (
        "auth_strategy = http_basic\n"
        f"[http_basic]\nauth_file = {tmp / 'htpasswd'}\nprojects_file = {tmp / 'users.yaml'}\n"
    )
    with serve(tmp, extra_config=extra) as live:
        yield live


def call(server: LiveServer, capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = main.run(["--url", server.url, *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_without_credentials_is_refused(
    server: LiveServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOORAGE_USER", raising=False)
    result = call(server, capsys, "template", "list")
    assert result.code == 1
    assert result.err == "ERROR: The request you have made requires authentication (HTTP 401)\n"


def test_wrong_password_is_refused(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(server, capsys, "--user", "alice", "--password", "nope", "template", "list")
    assert result.code == 1
    assert "(HTTP 401)" in result.err


def test_options_authenticate(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    auth = ["--user", "alice", "--password", "s3cret"]
    assert call(server, capsys, *auth, "template", "create", "mine", *TEMPLATE).code == 0
    shown = call(server, capsys, *auth, "-f", "json", "template", "show", "mine")
    assert shown.json()["project_id"] == "p-a"
    assert shown.json()["user_id"] == "alice"


def test_environment_authenticates(
    server: LiveServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOORAGE_USER", "alice")
    monkeypatch.setenv("MOORAGE_PASSWORD", "s3cret")
    result = call(server, capsys, "template", "list")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].split() == ["uuid", "name", "tags"]
