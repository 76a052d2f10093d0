"""A cluster's node groups: create (the API schema's fields, the catalog's names as
choices), edit (bounds by a JSON patch, the node count by a resize) and delete;
they are listed on the cluster's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from moorage.dashboard import forms, schema
from moorage.dashboard.web import (
    Page,
    attempt,
    checked_form,
    confirm,
    page,
    redirect,
    render,
)

router = APIRouter()
SCHEMA_PATH = "/v1/clusters/{cluster_ident}/nodegroups"
# What the edit form changes with a PATCH; the node count goes through a resize.
BOUNDS = forms.Fields(ints=("min_node_count", "max_node_count"))


async def _form(
    p: Page, ident: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    fields = await schema.request_fields(p.api, SCHEMA_PATH)
    return render(
        p,
        "nodegroups/create.html",
        status=status,
        cluster=cluster,
        fields=schema.offer(fields, await schema.catalog(p.api)),
        values=values,
        error=error,
    )


@router.get("/clusters/{ident}/nodegroups/new")
async def create_form(ident: str, p: Page = Depends(page)) -> Response:
    return await _form(p, ident, {})


@router.post("/clusters/{ident}/nodegroups")
async def create(ident: str, p: Page = Depends(page)) -> Response:
    form = await checked_form(p)

    async def act() -> Response:
        fields = schema.conversions(await schema.request_fields(p.api, SCHEMA_PATH))
        await p.api.post(f"/v1/clusters/{ident}/nodegroups", forms.body(form, fields))
        flash = f"Creating node group {form.get('name')}."
        return redirect(p, f"/clusters/{ident}", flash=flash)

    return await attempt(p, act, lambda error, status: _form(p, ident, form, error, status))


def _group_path(ident: str, group: str) -> str:
    return f"/v1/clusters/{ident}/nodegroups/{group}"


async def _edit_form(
    p: Page, ident: str, group: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    found = await p.api.get(_group_path(ident, group))
    return render(
        p,
        "nodegroups/edit.html",
        status=status,
        cluster=cluster,
        group=found,
        values=values or _edit_values(found),
        error=error,
    )


def _edit_values(group: dict[str, Any]) -> dict[str, str]:
    names = (*BOUNDS.ints, "node_count")
    return {name: forms.text(group.get(name)) for name in names}


@router.get("/clusters/{ident}/nodegroups/{group}/edit")
async def edit_form(ident: str, group: str, p: Page = Depends(page)) -> Response:
    return await _edit_form(p, ident, group, {})


@router.post("/clusters/{ident}/nodegroups/{group}/edit")
async def edit(ident: str, group: str, p: Page = Depends(page)) -> Response:
    """The bounds first (PATCH), then the node count (resize), each only if changed."""
    form = await checked_form(p)
    before = await p.api.get(_group_path(ident, group))

    async def act() -> Response:
        bounds = {k: v for k, v in form.items() if k in BOUNDS.ints}
        ops = forms.changes(bounds, before, BOUNDS)
        if ops:
            await p.api.patch(_group_path(ident, group), ops)
        count = form.get("node_count", "").strip()
        if count != forms.text(before.get("node_count")):
            body = {"node_count": forms.number(count), "nodegroup": before["name"]}
            await p.api.post(f"/v1/clusters/{ident}/actions/resize", body)
        return redirect(p, f"/clusters/{ident}", flash=f"Node group {before['name']} updated.")

    return await attempt(
        p, act, lambda error, status: _edit_form(p, ident, group, form, error, status)
    )


@router.get("/clusters/{ident}/nodegroups/{group}/delete")
async def delete_confirm(ident: str, group: str, p: Page = Depends(page)) -> Response:
    name = (await p.api.get(_group_path(ident, group)))["name"]
    post, back = f"/clusters/{ident}/nodegroups/{group}/delete", f"/clusters/{ident}"
    return confirm(p, f"Delete node group {name}?", f"Delete {name}", post, back)


@router.post("/clusters/{ident}/nodegroups/{group}/delete")
async def delete(ident: str, group: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(_group_path(ident, group))
    return redirect(p, f"/clusters/{ident}", flash="Deleting the node group.")
