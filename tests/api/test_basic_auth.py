"""HTTP basic authentication against the htpasswd and users.yaml files."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from fastapi.testclient import TestClient

from moorage.api import auth
from moorage.config import CONF
from tests.api.conftest import Api, assert_error


def rewrite(path: str, text: str) -> None:
    """Replace a file's content and move its mtime on (the files are re-read on change)."""
    p = Path(path)
    before = p.stat().st_mtime_ns
    p.write_text(text)
    if p.stat().st_mtime_ns == before:
        os.utime(p, ns=(before + 1_000_000, before + 1_000_000))


@pytest.mark.parametrize(
    "file, text",
    [
        ("projects_file", "users: [unclosed\n"),  # not YAML
        ("projects_file", "- a list\n- not a mapping\n"),
        ("projects_file", "users:\n  alice: just-a-string\n"),
        ("projects_file", "users:\n  alice: {project_id: p, roles: [1]}\n"),
        ("auth_file", "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"),  # not bcrypt
        ("auth_file", "alice:$apr1$abc$def\n"),
    ],
)
def test_a_broken_file_keeps_the_last_good_copy(
    alice: Api, caplog: pytest.LogCaptureFixture, file: str, text: str
) -> None:
    assert alice.get("/v1/clustertemplates").status_code == 200
    rewrite(getattr(CONF.http_basic, file), text)
    caplog.set_level(logging.ERROR, logger="moorage.api.auth")
    for _ in range(3):
        assert alice.get("/v1/clustertemplates").status_code == 200
    errors = [r for r in caplog.records if r.name == "moorage.api.auth"]
    assert len(errors) == 1, errors  # once per change of the file, not per request
    assert getattr(CONF.http_basic, file) in errors[0].getMessage()


@pytest.mark.parametrize(
    "file, text",
    [
        ("projects_file", "users: [unclosed\n"),
        ("auth_file", "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"),
    ],
)
def test_a_broken_file_with_no_good_copy_is_a_503(
    client: TestClient, alice: Api, file: str, text: str
) -> None:
    rewrite(getattr(CONF.http_basic, file), text)
    auth._http_basic = None  # a fresh start: nothing good read yet
    assert_error(
        alice.get("/v1/clustertemplates"),
        503,
        "Authentication is not available: the users files cannot be read.",
    )


@pytest.fixture
def bcrypt_checks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every hash bcrypt is asked to check against (the real check still runs)."""
    seen: list[bytes] = []
    real: Callable[..., Any] = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed)
        return bool(real(password, hashed))

    monkeypatch.setattr(auth.bcrypt, "checkpw", counting)
    return seen


def test_unknown_user_costs_one_bcrypt_check_like_a_wrong_password(
    client: TestClient, bcrypt_checks: list[bytes]
) -> None:
    assert_error(client.get("/v1/clustertemplates", auth=("alice", "wrong")), 401)
    assert len(bcrypt_checks) == 1
    assert_error(client.get("/v1/clustertemplates", auth=("nobody", "secret")), 401)
    assert len(bcrypt_checks) == 2
    assert bcrypt_checks[1][:7] == bcrypt_checks[0][:7]  # same algorithm and cost


def test_a_password_beyond_72_bytes_is_cut_there_as_htpasswd_does(client: TestClient) -> None:
    assert_error(client.get("/v1/clustertemplates", auth=("alice", "x" * 100)), 401)
    assert_error(client.get("/v1/clustertemplates", auth=("nobody", "x" * 100)), 401)
