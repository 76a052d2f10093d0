"""A real Keystone (``scripts/setup-keystone.sh``) on a free loopback port, for tests.

The script installs Keystone into ``.venv-keystone`` when it is missing, starts it
under gunicorn with a SQLite database and fernet tokens in a state directory, and
creates projects ``project-a`` and ``project-b`` with a member and a reader each
(``a-member``, ``a-reader``, ``b-member``, ``b-reader``), the service user
``moorage`` and the ``container-infra`` catalog entry.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.live import ROOT, free_port

SCRIPT = ROOT / "scripts" / "setup-keystone.sh"
ADMIN_PASSWORD = "admin-secret"
PASSWORD = "secret"
# Users the script creates: name -> project.
USERS = {
    "a-member": "project-a",
    "a-reader": "project-a",
    "b-member": "project-b",
    "b-reader": "project-b",
    "admin": "admin",
}


@dataclass
class Keystone:
    url: str
    state: Path

    @property
    def auth_url(self) -> str:
        return self.url + "/v3"

    def setup(self, command: str, moorage_endpoint: str | None = None) -> None:
        """Run ``scripts/setup-keystone.sh <command>`` for this Keystone."""
        env = {
            **os.environ,
            "KEYSTONE_STATE": str(self.state),
            "KEYSTONE_PORT": self.url.rsplit(":", 1)[1],
            "KEYSTONE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KEYSTONE_PASSWORD": PASSWORD,
        }
        if moorage_endpoint:
            env["MOORAGE_ENDPOINT"] = moorage_endpoint
        done = subprocess.run(
            [str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, f"setup-keystone.sh {command}:\n{done.stdout}\n{done.stderr}"

    def authtoken_config(self) -> str:
        """Moorage's configuration lines for ``auth_strategy = keystone`` against this Keystone."""
        return (
            "auth_strategy = keystone\n"
            "[keystone_authtoken]\n"
            f"www_authenticate_uri = {self.auth_url}\n"
            f"auth_url = {self.auth_url}\n"
            "auth_type = password\n"
            "username = moorage\n"
            f"password = {PASSWORD}\n"
            "project_name = service\n"
            "user_domain_id = default\n"
            "project_domain_id = default\n"
        )

    def password(self, user: str) -> str:
        return ADMIN_PASSWORD if user == "admin" else PASSWORD

    def token(self, user: str) -> str:
        """A new project-scoped token of ``user`` (password authentication)."""
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": user,
                            "domain": {"id": "default"},
                            "password": self.password(user),
                        }
                    },
                },
                "scope": {"project": {"name": USERS[user], "domain": {"id": "default"}}},
            }
        }
        response = httpx.post(self.auth_url + "/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.headers["x-subject-token"]

    def revoke(self, token: str) -> None:
        """Revoke ``token`` through Keystone's API (``DELETE /v3/auth/tokens``)."""
        admin = self.token("admin")
        response = httpx.delete(
            self.auth_url + "/auth/tokens",
            headers={"X-Auth-Token": admin, "X-Subject-Token": token},
            timeout=30,
        )
        assert response.status_code == 204, response.text

    def find(self, kind: str, name: str) -> str:
        """The id of the project or user (``kind``: projects, users) called ``name``."""
        response = httpx.get(
            f"{self.auth_url}/{kind}",
            params={"name": name},
            headers={"X-Auth-Token": self.token("admin")},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        (row,) = response.json()[kind]
        return str(row["id"])

    def validations(self) -> int:
        """Token validations Keystone has answered (``GET /v3/auth/tokens`` in its access log)."""
        log = (self.state / "access.log").read_text()
        return sum('"GET /v3/auth/tokens' in line for line in log.splitlines())


@contextmanager
def keystone(tmp: Path) -> Iterator[Keystone]:
    """Start a Keystone of its own in ``tmp`` and stop it after."""
    ks = Keystone(url=f"http://127.0.0.1:{free_port()}", state=tmp / "keystone")
    try:
        ks.setup("start")
        yield ks
    finally:
        ks.setup("stop")
