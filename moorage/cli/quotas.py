"""``moorage quotas ...``: per-project limits (``openstack coe quotas``)."""

from __future__ import annotations

import argparse
from typing import Any

from moorage.cli import options
from moorage.cli.runtime import Runtime, list_rows

PATH = "/v1/quotas"
LIST_COLUMNS = ["project_id", "resource", "hard_limit"]


def _one(args: argparse.Namespace) -> str:
    return f"{PATH}/{args.project_id}/{args.resource}"


def create(rt: Runtime) -> int:
    a = rt.args
    body = {"project_id": a.project_id, "resource": a.resource, "hard_limit": a.hard_limit}
    rt.out.record(rt.client.post(PATH, body))
    return 0


def update(rt: Runtime) -> int:
    a = rt.args
    body = {"project_id": a.project_id, "resource": a.resource, "hard_limit": a.hard_limit}
    rt.out.record(rt.client.patch(_one(a), body))
    return 0


def show(rt: Runtime) -> int:
    rt.out.record(rt.client.get(_one(rt.args)))
    return 0


def delete(rt: Runtime) -> int:
    rt.client.delete(_one(rt.args))
    a = rt.args
    rt.out.note(f"Request to delete quota for {a.project_id}/{a.resource} has been accepted.")
    return 0


def list_(rt: Runtime) -> int:
    params = {"all_tenants": "True" if rt.args.all_tenants else None}
    return list_rows(rt, PATH, "quotas", LIST_COLUMNS, params)


def _target(parser: argparse.ArgumentParser, limit: bool = False) -> None:
    parser.add_argument("--project-id", required=True, help="Project the quota applies to.")
    parser.add_argument("--resource", required=True, help="Resource (Cluster).")
    if limit:
        parser.add_argument(
            "--hard-limit", type=options.non_negative, default=1, help="Limit (default 1)."
        )


def register(sub: Any) -> None:
    verbs = options.group(sub, "quotas", "Quotas: how many clusters a project may have.")
    _target(options.command(verbs, "create", create, "Set a project's quota."), limit=True)
    _target(options.command(verbs, "update", update, "Change a project's quota."), limit=True)
    _target(options.command(verbs, "show", show, "Show a project's quota."))
    _target(options.command(verbs, "delete", delete, "Remove a project's quota."))
    p = options.command(verbs, "list", list_, "List quotas.")
    options.add_paging(p)
    p.add_argument("--all-tenants", action="store_true", help="Quotas of every project.")
