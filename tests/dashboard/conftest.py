"""Browser tests: a real ``moorage serve`` and a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from tests.dashboard.browser import Browser, chromium, install
from tests.support.live import LiveServer, serve

PASSWORD = "secret"
# http_basic users: name -> (project, roles).
USERS = {
    "alice": ("project-a", ["member"]),
    "carol": ("project-a", ["reader"]),
    "bob": ("project-b", ["member"]),
    # A reader the API will not tell its roles (the policy below refuses it whoami:get):
    # the dashboard learns them from the first refusal, as before the route existed.
    "dave": ("project-a", ["reader"]),
}
POLICY = '"whoami:get": "not user_id:dave"\n'


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    install()


def users_config(tmp: Path) -> str:
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (tmp / "htpasswd").write_text("".join(f"{u}:{digest}\n" for u in USERS))
    lines = ["users:"] + [
        f"  {u}: {{project_id: {p}, roles: [{', '.join(r)}]}}" for u, (p, r) in USERS.items()
    ]
    (tmp / "users.yaml").write_text("\n".join(lines) + "\n")
    (tmp / "policy.yaml").write_text(POLICY)
    return (
        "auth_strategy = http_basic\n[http_basic]\n"
        f"auth_file = {tmp / 'htpasswd'}\nprojects_file = {tmp / 'users.yaml'}\n"
        f"[oslo_policy]\npolicy_file = {tmp / 'policy.yaml'}\n"
    )


# Health polled every 2 s, so that the cluster's picture shows each node's readiness.
FAST_HEALTH = "periodic_interval_max = 2\n[kubernetes]\nhealth_polling_interval = 2\n"
# Key pairs, networks and subnets in the catalog, for the forms to offer.
CATALOG = "[catalog]\nkeypairs = kp1,kp2\nnetworks = net1\nsubnets = sub1\n"


@pytest.fixture(scope="module")
def noauth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("dash-noauth")
    with serve(tmp, extra_config=FAST_HEALTH + CATALOG, fake=False) as live:
        yield live


@pytest.fixture(scope="module")
def basic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("dash-basic")
    with serve(tmp, extra_config=users_config(tmp), fake=False) as live:
        yield live


@pytest.fixture
def noauth(chromium_installed: None, noauth_server: LiveServer) -> Iterator[Browser]:
    with chromium(noauth_server.url) as browser:
        yield browser


@pytest.fixture
def basic(chromium_installed: None, basic_server: LiveServer) -> Iterator[Browser]:
    with chromium(basic_server.url) as browser:
        yield browser
