"""``moorage stats list``: cluster and node counts (``openstack coe stats list``)."""

from __future__ import annotations

from typing import Any

from moorage.cli import options
from moorage.cli.runtime import Runtime


def list_(rt: Runtime) -> int:
    stats = rt.client.get("/v1/stats", {"project_id": rt.args.project_id})
    rt.out.rows([stats], ["clusters", "nodes"])
    return 0


def register(sub: Any) -> None:
    verbs = options.group(sub, "stats", "Statistics: clusters and nodes of a project.")
    p = options.command(verbs, "list", list_, "Count clusters and nodes.")
    p.add_argument(
        "project_id", nargs="?", help="Project (default: yours; all projects for an admin)."
    )
