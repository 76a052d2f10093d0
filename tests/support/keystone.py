"""A real Keystone (``scripts/setup-keystone.sh``) on a free loopback port, for tests.

The script installs Keystone into ``.venv-keystone`` when it is missing, starts it
under gunicorn with a SQLite database and fernet tokens in a state directory, and
creates projects ``project-a`` and ``project-b`` with a member and a reader each
(``a-member``, ``a-reader``, ``b-member``, ``b-reader``), the service user
``moorage`` and the ``container-infra`` catalog entry.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def token(self, user: str, project: str | None = None) -> str:
        """A new token of ``user`` scoped to ``project`` (default: the user's own in USERS)."""
        scope = {"project": {"name": project or USERS[user], "domain": {"id": "default"}}}
        return self._issue(self._password_identity(user), scope)

    def system_token(self) -> str:
        """A system-scoped token of the bootstrap admin (admin role on the system)."""
        return self._issue(self._password_identity("admin"), {"system": {"all": True}})

    def app_credential_token(self, user: str, expires_at: datetime.datetime) -> str:
        """A token of ``user`` through a new application credential expiring at ``expires_at``.

        Keystone ends such a token when its credential ends: the way to a token that
        expires seconds from now without shortening every token of this Keystone.
        """
        own = self.token(user)
        made = httpx.post(
            f"{self.auth_url}/users/{self.find('users', user)}/application_credentials",
            json={"application_credential": {
                "name": f"short-{expires_at.timestamp():.0f}",
                "expires_at": expires_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }},
            headers={"X-Auth-Token": own}, timeout=30,
        )  # fmt: skip
        assert made.status_code == 201, made.text
        credential = made.json()["application_credential"]
        identity = {
            "methods": ["application_credential"],
            "application_credential": {"id": credential["id"], "secret": credential["secret"]},
        }
        return self._issue(identity, None)

    def _password_identity(self, user: str) -> dict[str, Any]:
        return {
            "methods": ["password"],
            "password": {
                "user": {
                    "name": user,
                    "domain": {"id": "default"},
                    "password": self.password(user),
                }
            },
        }

    def _issue(self, identity: dict[str, Any], scope: dict[str, Any] | None) -> str:
        body: dict[str, Any] = {"auth": {"identity": identity}}
        if scope is not None:
            body["auth"]["scope"] = scope
        response = httpx.post(self.auth_url + "/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return response.headers["x-subject-token"]

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """``method`` on Keystone's ``/v3<path>`` as admin; asserts success."""
        response = httpx.request(
            method, self.auth_url + path, json=body,
            headers={"X-Auth-Token": self.token("admin")}, timeout=30,
        )  # fmt: skip
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def add_member(self, user: str, project: str) -> tuple[str, str]:
        """Create ``project`` (unless it exists) and ``user``, a member of it; their ids."""
        projects = self.admin("GET", f"/projects?name={project}").json()["projects"]
        project_id = (
            projects[0]["id"]
            if projects
            else self.admin(
                "POST", "/projects", {"project": {"name": project, "domain_id": "default"}}
            ).json()["project"]["id"]
        )
        user_id = self.admin("POST", "/users", {"user": {
            "name": user, "domain_id": "default", "password": PASSWORD,
            "default_project_id": project_id,
        }}).json()["user"]["id"]  # fmt: skip
        role = self.find("roles", "member")
        self.admin("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role}")
        return project_id, user_id

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
