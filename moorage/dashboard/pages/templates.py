"""Cluster templates: list, detail, create (every field the API's schema has),
public/hidden (admins), delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from moorage.dashboard import forms, schema
from moorage.dashboard.client import ApiError, Unauthenticated
from moorage.dashboard.web import Page, checked_form, note_refusal, page, redirect, render

router = APIRouter()
PATH = "/v1/clustertemplates"
# Shown first on the form; the rest follow in the API's order.
FIRST = ("name", "coe", "image_id", "external_network_id", "flavor_id", "master_flavor_id")


async def _fields(p: Page) -> list[schema.Field]:
    fields = await schema.request_fields(p.api, PATH)
    return sorted(fields, key=lambda f: FIRST.index(f.name) if f.name in FIRST else len(FIRST))


@router.get("/templates")
async def template_list(p: Page = Depends(page)) -> Response:
    found = await p.api.collect(PATH + "/detail", "clustertemplates")
    return render(p, "templates/list.html", templates=found)


async def _form(p: Page, values: dict[str, str], error: str = "", status: int = 200) -> Response:
    fields = await _fields(p)
    return render(
        p, "templates/create.html", status=status, fields=fields, values=values, error=error
    )


@router.get("/templates/new")
async def create_form(p: Page = Depends(page)) -> Response:
    return await _form(p, {})


@router.post("/templates")
async def create(p: Page = Depends(page)) -> Response:
    form = await checked_form(p)
    try:
        body = forms.body(form, schema.conversions(await _fields(p)))
        made = await p.api.post(PATH, body)
    except forms.FormError as exc:
        return await _form(p, form, str(exc), 400)
    except Unauthenticated:
        raise
    except ApiError as exc:
        return await _form(p, form, note_refusal(p, exc), exc.status)
    return redirect(p, f"/templates/{made['uuid']}", flash=f"Created template {made['name']}.")


@router.get("/templates/{ident}")
async def template_detail(ident: str, p: Page = Depends(page)) -> Response:
    template = await p.api.get(f"{PATH}/{ident}")
    return render(p, "templates/detail.html", template=template)


@router.post("/templates/{ident}/flags")
async def set_flags(ident: str, p: Page = Depends(page)) -> Response:
    """Admins: public and hidden, each a checkbox (a missing one is false)."""
    form = await checked_form(p)
    values = {name: name in form for name in ("public", "hidden")}
    await p.api.patch(f"{PATH}/{ident}", forms.replace_ops(values))
    return redirect(p, f"/templates/{ident}", flash="Template updated.")


@router.get("/templates/{ident}/delete")
async def delete_confirm(ident: str, p: Page = Depends(page)) -> Response:
    template = await p.api.get(f"{PATH}/{ident}")
    return render(
        p, "confirm.html", thing="cluster template", item=template, action=f"/templates/{ident}"
    )


@router.post("/templates/{ident}/delete")
async def delete(ident: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(f"{PATH}/{ident}")
    return redirect(p, "/templates", flash="Template deleted.")
