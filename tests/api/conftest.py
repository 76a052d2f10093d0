"""The API in-process against a fresh SQLite database, with the test driver."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from fastapi.testclient import TestClient

from moorage.api import auth, policy
from moorage.api.app import create_app
from moorage.conductor.manager import ConductorManager
from moorage.config import CONF
from moorage.db import migrate, session
from moorage.rpc import api as rpc_api
from moorage.rpc.local import LocalTransport
from tests.support import fake_driver

# user -> (project, roles); all passwords are "secret".
USERS = {
    "admin": ("admin-project", ["admin"]),
    "alice": ("project-a", ["member"]),
    "alice2": ("project-a", ["member"]),
    "ann": ("project-a", ["reader"]),
    "bob": ("project-b", ["member"]),
}


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[ConductorManager]:
    session.configure(f"sqlite:///{tmp_path / 'api.sqlite'}")
    migrate.upgrade(session.engine())
    fake_driver.FakeDriver.fail_at = {}
    CONF.set_override("images", ["moorage-node:debian", fake_driver.CATALOG_ENTRY], group="catalog")
    conductor = ConductorManager("test-conductor", workers=4)
    transport = LocalTransport(conductor, 4)
    rpc_api.set_transport(transport)
    _write_users(tmp_path)
    CONF.set_override("auth_strategy", "http_basic")
    policy.reset()
    yield conductor
    transport.shutdown(wait=False)  # drop queued messages: none may reach the next test
    conductor.shutdown()
    rpc_api.set_transport(None)
    CONF.clear_override("images", group="catalog")
    CONF.clear_override("auth_strategy")
    for opt in ("auth_file", "projects_file"):
        CONF.clear_override(opt, group="http_basic")
    session.engine().dispose()


def _write_users(tmp_path: Path) -> None:
    digest = bcrypt.hashpw(b"secret", bcrypt.gensalt(rounds=4)).decode()
    (tmp_path / "htpasswd").write_text("".join(f"{u}:{digest}\n" for u in USERS))
    lines = ["users:"]
    for user, (project, roles) in USERS.items():
        lines += [f"  {user}:", f"    project_id: {project}", f"    roles: [{', '.join(roles)}]"]
    (tmp_path / "users.yaml").write_text("\n".join(lines) + "\n")
    CONF.set_override("auth_file", str(tmp_path / "htpasswd"), group="http_basic")
    CONF.set_override("projects_file", str(tmp_path / "users.yaml"), group="http_basic")
    auth._http_basic = None


class Api:
    """A client bound to one user and one microversion."""

    def __init__(self, client: TestClient, user: str, version: str = "latest") -> None:
        self.client = client
        self.auth = (user, "secret")
        self.version = version

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.version:
            headers.setdefault("OpenStack-API-Version", f"container-infra {self.version}")
        return self.client.request(method, path, auth=self.auth, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def at(self, version: str) -> Api:
        return Api(self.client, self.auth[0], version)


@pytest.fixture
def client(manager: ConductorManager) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def as_user(client: TestClient) -> Callable[[str], Api]:
    return lambda user: Api(client, user)


@pytest.fixture
def admin(as_user: Callable[[str], Api]) -> Api:
    return as_user("admin")


@pytest.fixture
def alice(as_user: Callable[[str], Api]) -> Api:
    return as_user("alice")


@pytest.fixture
def bob(as_user: Callable[[str], Api]) -> Api:
    return as_user("bob")


def template_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "tpl",
        "coe": "swarm-mode",
        "image_id": fake_driver.IMAGE,
        "external_network_id": "public",
        "flavor_id": "m1.small",
        "master_flavor_id": "m1.small",
    }
    body.update(overrides)
    return body


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``check`` returns something truthy (the conductor works in threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def assert_error(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    """A Magnum error body with the given status (and detail, when given)."""
    assert response.status_code == status, response.text
    body = response.json()
    (error,) = body["errors"]
    assert error["status"] == status
    assert error["code"] == ("client" if status < 500 else "server")
    if detail is not None:
        assert error["detail"] == detail
        assert error["title"] == detail.split(".")[0]
    return error
