"""Clusters: the list (with live statuses and the project's quota use) and the detail
page (with the steps of the operation in progress, as they happen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Response

from moorage.config import CONF
from moorage.dashboard.client import Api, ApiError
from moorage.dashboard.web import Page, page, redirect, render, strategy

router = APIRouter()

SORT_KEYS = ("name", "status", "created_at", "node_count", "master_count")
IN_PROGRESS = "_IN_PROGRESS"


async def templates_by_id(api: Api) -> dict[str, dict[str, Any]]:
    found = await api.collect("/v1/clustertemplates/detail", "clustertemplates")
    return {t["uuid"]: t for t in found}


def _wanted(cluster: dict[str, Any], status: str, name: str) -> bool:
    if status and not str(cluster.get("status", "")).startswith(status):
        return False
    return not name or name.lower() in str(cluster.get("name", "")).lower()


async def _clusters(p: Page, sort: str, direction: str) -> list[dict[str, Any]]:
    key = sort if sort in SORT_KEYS else "created_at"
    order = "asc" if direction == "asc" else "desc"
    return await p.api.collect("/v1/clusters/detail", "clusters", sort_key=key, sort_dir=order)


def project_of(p: Page, clusters: list[dict[str, Any]]) -> str:
    """The user's project, as far as the dashboard knows it: Keystone's token or the
    API's ``/v1/whoami`` says; when the API would not, the user's clusters do."""
    if p.session.project_id:
        return p.session.project_id
    if strategy() == "noauth":
        return str(CONF.noauth.project_id)
    return next((str(c["project_id"]) for c in clusters if c.get("project_id")), "")


async def quota_use(p: Page, clusters: list[dict[str, Any]]) -> dict[str, Any] | None:
    """magnum-ui's quota chart: the project's clusters against its Cluster quota."""
    project = project_of(p, clusters)
    if not project:
        return None
    try:
        quota = await p.api.get(f"/v1/quotas/{project}/Cluster")
        stats = await p.api.get("/v1/stats", project_id=project)
    except ApiError:
        return None
    limit = int(quota.get("hard_limit") or 0)
    used = int(stats.get("clusters") or 0)
    percent = min(100, round(100 * used / limit)) if limit > 0 else 100
    return {"limit": limit, "used": used, "nodes": stats.get("nodes"), "percent": percent}


async def _list_values(
    p: Page, status: str, name: str, sort: str, direction: str
) -> dict[str, Any]:
    clusters = await _clusters(p, sort, direction)
    templates = await templates_by_id(p.api)
    shown = [c for c in clusters if _wanted(c, status, name)]
    return {
        "clusters": shown,
        "templates": templates,
        "busy": any(IN_PROGRESS in str(c.get("status")) for c in shown),
        "filters": {"status": status, "name": name, "sort": sort, "dir": direction},
        "sort_keys": SORT_KEYS,
        "quota": await quota_use(p, clusters),
    }


@dataclass(frozen=True)
class ListQuery:
    """The list's filters and order, from the query string (a dependency)."""

    status: str = ""
    name: str = ""
    sort: str = "created_at"
    dir: str = "desc"


@router.get("/clusters")
async def cluster_list(q: ListQuery = Depends(), p: Page = Depends(page)) -> Response:
    values = await _list_values(p, q.status, q.name, q.sort, q.dir)
    return render(p, "clusters/list.html", **values)


@router.get("/clusters/rows")
async def cluster_rows(q: ListQuery = Depends(), p: Page = Depends(page)) -> Response:
    """The list's table alone, for the page to refresh itself with (htmx)."""
    values = await _list_values(p, q.status, q.name, q.sort, q.dir)
    return render(p, "clusters/_table.html", **values)


def node_health(cluster: dict[str, Any]) -> list[tuple[str, str]]:
    """``health_status_reason`` per node: its ``<node>.Ready`` entries."""
    reason = cluster.get("health_status_reason") or {}
    if not isinstance(reason, dict):
        return []
    return [(k.removesuffix(".Ready"), str(v)) for k, v in reason.items() if k.endswith(".Ready")]


async def picture(api: Api, uuid: str) -> list[dict[str, Any]]:
    """The cluster's node groups, masters first, each with its nodes (Moorage's
    ``/nodes``: name, address, readiness): what the page draws as boxes."""
    groups: dict[str, dict[str, Any]] = {}
    for node in (await api.get(f"/v1/clusters/{uuid}/nodes") or {}).get("nodes") or []:
        group = groups.setdefault(
            str(node["nodegroup"]), {"name": node["nodegroup"], "role": node["role"], "nodes": []}
        )
        group["nodes"].append(node)
    return list(groups.values())


async def nodegroups(api: Api, uuid: str) -> list[dict[str, Any]]:
    listed = await api.collect(f"/v1/clusters/{uuid}/nodegroups", "nodegroups")
    return [await api.get(f"/v1/clusters/{uuid}/nodegroups/{g['uuid']}") for g in listed]


async def events(api: Api, uuid: str) -> list[dict[str, Any]]:
    """The steps of the cluster's operations, oldest first, grouped by request."""
    found = await api.collect(f"/v1/clusters/{uuid}/events", "events", sort_dir="asc")
    return list(found)


def _time(text: Any) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def took(start: Any, end: Any) -> str:
    """How long from ``start`` to ``end`` (ISO times), as people read it; empty when
    either is missing (a step still running)."""
    begun, ended = _time(start), _time(end)
    if begun is None or ended is None:
        return ""
    seconds = (ended - begun).total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def operations(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps grouped into the operations (requests) they belong to, newest first,
    each step and each operation with how long it took."""
    groups: dict[str, dict[str, Any]] = {}
    for step in steps:
        op = groups.setdefault(
            str(step.get("request_id")), {"operation": step.get("operation"), "steps": []}
        )
        op["steps"].append({**step, "took": took(step.get("started_at"), step.get("finished_at"))})
    for op in groups.values():
        first, last = op["steps"][0], op["steps"][-1]
        op["started_at"] = first.get("started_at")
        op["took"] = took(first.get("started_at"), last.get("finished_at"))
    return list(reversed(groups.values()))


async def _progress_values(p: Page, ident: str) -> dict[str, Any]:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    ops = operations(await events(p.api, cluster["uuid"]))
    return {
        "cluster": cluster,
        "seen": seen(cluster),
        "operations": ops,
        "busy": IN_PROGRESS in str(cluster.get("status")),
    }


@router.get("/clusters/{ident}")
async def cluster_detail(ident: str, p: Page = Depends(page)) -> Response:
    values = await _progress_values(p, ident)
    cluster = values["cluster"]
    template = await p.api.get(f"/v1/clustertemplates/{cluster['cluster_template_id']}")
    return render(
        p,
        "clusters/detail.html",
        template=template,
        nodegroups=await nodegroups(p.api, cluster["uuid"]),
        picture=await picture(p.api, cluster["uuid"]),
        health=node_health(cluster),
        **values,
    )


def seen(cluster: dict[str, Any]) -> str:
    """What changes whenever the API changes the cluster (its row's update time)."""
    return f"{cluster.get('status')}@{cluster.get('updated_at')}"


@router.get("/clusters/{ident}/progress")
async def cluster_progress(ident: str, since: str = "", p: Page = Depends(page)) -> Response:
    """The status and the steps alone, polled by the detail page; when the cluster
    has changed and no operation runs, the whole page is loaded again (nodes,
    addresses, every field). A cluster that is gone sends the page to the list."""
    try:
        values = await _progress_values(p, ident)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return redirect(p, "/clusters", flash="The cluster is gone: it was deleted.")
    response = render(p, "clusters/_progress.html", since=since, **values)
    changed = since and since != seen(values["cluster"])
    if changed and not values["busy"] and p.request.headers.get("hx-request"):
        response.headers["HX-Refresh"] = "true"
    return response
