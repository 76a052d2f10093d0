"""``GET /v1/whoami``: the caller's own identity (Moorage's read-only extension),
under each authentication strategy, for a reader, a member and an admin, in every
token scope; never another user's, never the credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moorage.api import auth, keystone, policy
from moorage.config import CONF
from tests.api.conftest import Api, assert_error

TOKEN = "gAAAAA-a-keystone-token"


def whoami(api: Api) -> dict[str, Any]:
    response = api.get("/v1/whoami")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def basic_answer(user: str, project: str, roles: list[str], is_admin: bool) -> dict[str, Any]:
    return {
        "user_id": user,
        "user_name": user,
        "user_domain_id": None,
        "project_id": project,
        "project_name": None,
        "roles": roles,
        "is_admin": is_admin,
        "system_scope": None,
        "domain_scope": None,
    }


@pytest.mark.parametrize(
    "user, project, roles, is_admin",
    [
        ("ann", "project-a", ["reader"], False),
        ("alice", "project-a", ["member", "reader"], False),
        ("bob", "project-b", ["member", "reader"], False),
        ("admin", "admin-project", ["admin", "member", "reader"], True),
    ],
)
def test_http_basic_answers_the_users_file_with_implied_roles(
    as_user: Callable[[str], Api], user: str, project: str, roles: list[str], is_admin: bool
) -> None:
    assert whoami(as_user(user)) == basic_answer(user, project, roles, is_admin)


def test_only_the_callers_own_identity_and_no_password(client: TestClient) -> None:
    response = client.get("/v1/whoami", auth=("ann", "secret"))
    assert response.json()["user_id"] == "ann"
    assert "secret" not in response.text
    assert "alice" not in response.text and "project-b" not in response.text


def test_a_wrong_password_is_a_401(client: TestClient) -> None:
    for credentials in (None, ("ann", "wrong"), ("nobody", "secret")):
        response = client.get("/v1/whoami", auth=credentials)
        assert_error(response, 401, "The request you have made requires authentication.")


def test_noauth_is_the_configured_admin_of_the_configured_project(client: TestClient) -> None:
    CONF.set_override("auth_strategy", "noauth")
    try:
        body = client.get("/v1/whoami").json()
    finally:
        CONF.clear_override("auth_strategy")
    assert body == {
        **basic_answer("admin", "default", ["admin", "member", "reader"], True),
        "user_name": None,
    }


@pytest.fixture
def as_keystone(client: TestClient) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """The answer to a caller whose token keystonemiddleware accepted, given the
    environ the filter sets (``X_USER_ID`` for ``HTTP_X_USER_ID``, ...), through the
    context Moorage builds from it."""

    def ask(headers: dict[str, Any]) -> dict[str, Any]:
        environ = {f"HTTP_{k}": v for k, v in {**headers, "X_AUTH_TOKEN": TOKEN}.items()}
        ctx = keystone._context(environ, "req-k")
        assert ctx.auth_token == TOKEN
        client.app.dependency_overrides[auth.context_from] = lambda: ctx  # type: ignore[attr-defined]
        response = client.get("/v1/whoami")
        assert response.status_code == 200, response.text
        assert TOKEN not in response.text
        body: dict[str, Any] = response.json()
        return body

    yield ask
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def test_keystone_project_scoped_reader(
    as_keystone: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    body = as_keystone(
        {
            "X_USER_ID": "u-1",
            "X_USER_NAME": "ann",
            "X_USER_DOMAIN_ID": "default",
            "X_PROJECT_ID": "p-1",
            "X_PROJECT_NAME": "project-a",
            "X_ROLES": "reader",
        }
    )
    assert body == {
        "user_id": "u-1",
        "user_name": "ann",
        "user_domain_id": "default",
        "project_id": "p-1",
        "project_name": "project-a",
        "roles": ["reader"],
        "is_admin": False,
        "system_scope": None,
        "domain_scope": None,
    }


def test_keystone_system_and_domain_scoped_admins_are_answered_with_their_scope(
    as_keystone: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    # Every resource rule refuses these tokens (test_policy_defaults); whoami:get is
    # on the caller itself and tells them the scope they are in.
    admin = {"X_USER_ID": "cloud-admin", "X_ROLES": "admin"}
    system = as_keystone({**admin, "OPENSTACK_SYSTEM_SCOPE": "all"})
    assert (system["system_scope"], system["domain_scope"], system["project_id"]) == (
        "all",
        None,
        None,
    )
    assert system["is_admin"] and system["roles"] == ["admin", "member", "reader"]
    domain = as_keystone({**admin, "X_DOMAIN_ID": "default"})
    assert (domain["system_scope"], domain["domain_scope"], domain["project_id"]) == (
        None,
        "default",
        None,
    )


@pytest.mark.parametrize("enforce_new_defaults", [True, False])
def test_every_user_may_ask_under_either_defaults(
    as_user: Callable[[str], Api], enforce_new_defaults: bool
) -> None:
    CONF.set_override("enforce_new_defaults", enforce_new_defaults, group="oslo_policy")
    policy.reset()
    try:
        for user in ("ann", "alice", "bob", "admin"):
            assert whoami(as_user(user))["user_id"] == user
        assert whoami(as_user("ann").at("1.1"))["roles"] == ["reader"]  # any microversion
    finally:
        CONF.clear_override("enforce_new_defaults", group="oslo_policy")
        policy.reset()


def test_a_policy_file_may_restrict_it(as_user: Callable[[str], Api], tmp_path: Path) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"whoami:get": "role:member"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    try:
        denied = as_user("ann").get("/v1/whoami")
        assert_error(denied, 403, "Policy doesn't allow whoami:get to be performed.")
        assert whoami(as_user("alice"))["user_id"] == "alice"
    finally:
        CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()


def test_it_is_documented_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/v1/whoami"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Whoami"
    }
    fields = schema["components"]["schemas"]["Whoami"]["properties"]
    assert "auth_token" not in fields and "password" not in fields
