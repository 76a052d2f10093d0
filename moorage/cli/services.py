"""``moorage service list``: conductors and their heartbeat (``openstack coe service list``)."""

from __future__ import annotations

from typing import Any

from moorage.cli import options
from moorage.cli.runtime import Runtime

COLUMNS = [
    "id",
    "host",
    "binary",
    "state",
    "disabled",
    "disabled_reason",
    "created_at",
    "updated_at",
]


def list_(rt: Runtime) -> int:
    rt.out.rows((rt.client.get("/v1/mservices") or {}).get("mservices") or [], COLUMNS)
    return 0


def register(sub: Any) -> None:
    verbs = options.group(sub, "service", "Moorage's own services (conductors).")
    options.command(verbs, "list", list_, "List conductors and whether they are up.")
