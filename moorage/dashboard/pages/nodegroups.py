"""A cluster's node groups: create (the API schema's fields) and delete; they are
listed on the cluster's page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from moorage.dashboard import forms, schema
from moorage.dashboard.client import ApiError, Unauthenticated
from moorage.dashboard.web import Page, checked_form, note_refusal, page, redirect, render

router = APIRouter()
SCHEMA_PATH = "/v1/clusters/{cluster_ident}/nodegroups"


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
        fields=fields,
        values=values,
        error=error,
    )


@router.get("/clusters/{ident}/nodegroups/new")
async def create_form(ident: str, p: Page = Depends(page)) -> Response:
    return await _form(p, ident, {})


@router.post("/clusters/{ident}/nodegroups")
async def create(ident: str, p: Page = Depends(page)) -> Response:
    form = await checked_form(p)
    try:
        fields = schema.conversions(await schema.request_fields(p.api, SCHEMA_PATH))
        await p.api.post(f"/v1/clusters/{ident}/nodegroups", forms.body(form, fields))
    except forms.FormError as exc:
        return await _form(p, ident, form, str(exc), 400)
    except Unauthenticated:
        raise
    except ApiError as exc:
        return await _form(p, ident, form, note_refusal(p, exc), exc.status)
    return redirect(p, f"/clusters/{ident}", flash=f"Creating node group {form.get('name')}.")


@router.get("/clusters/{ident}/nodegroups/{group}/delete")
async def delete_confirm(ident: str, group: str, p: Page = Depends(page)) -> Response:
    found = await p.api.get(f"/v1/clusters/{ident}/nodegroups/{group}")
    action = f"/clusters/{ident}/nodegroups/{group}"
    return render(p, "confirm.html", thing="node group", item=found, action=action)


@router.post("/clusters/{ident}/nodegroups/{group}/delete")
async def delete(ident: str, group: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(f"/v1/clusters/{ident}/nodegroups/{group}")
    return redirect(p, f"/clusters/{ident}", flash="Deleting the node group.")
