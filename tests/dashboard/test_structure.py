"""cli/ and dashboard/ (and client/, what they share) are clients of the HTTP API:
they import none of the server's layers, so whatever they do, they do through it."""

from __future__ import annotations

from pathlib import Path

import pytest

import moorage
from tests.unit.test_driver_layers import imported

PACKAGE = Path(moorage.__file__).parent
CLIENTS = sorted(p for d in ("cli", "dashboard", "client") for p in (PACKAGE / d).rglob("*.py"))
SERVER = ("moorage.db", "moorage.drivers", "moorage.api", "moorage.services", "moorage.conductor",
          "moorage.objects", "moorage.rpc", "moorage.certs", "moorage.notify")  # fmt: skip


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_client_imports_no_server_layer(path: Path) -> None:
    assert not [m for m in imported(path) if m.startswith(SERVER)]


def test_the_dashboard_and_the_cli_do_not_import_each_other() -> None:
    for path in CLIENTS:
        layer = path.relative_to(PACKAGE).parts[0]
        other = {"dashboard": "moorage.cli", "cli": "moorage.dashboard"}.get(layer)
        found = [m for m in imported(path) if other and (m == other or m.startswith(other + "."))]
        assert not found, path
