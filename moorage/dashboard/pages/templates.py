"""Cluster templates: list, detail, create and edit (every field the API's schema
has, the catalog's names offered as choices), public/hidden (admins), delete."""

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


async def _form(
    p: Page, values: dict[str, str], template: dict[str, Any] | None, error: str, status: int
) -> Response:
    """The create form, or (``template``) the edit form of that template."""
    fields = schema.offer(await _fields(p), await schema.catalog(p.api))
    return render(
        p,
        "templates/create.html",
        status=status,
        fields=fields,
        values=values,
        template=template,
        error=error,
    )


@router.get("/templates/new")
async def create_form(p: Page = Depends(page)) -> Response:
    return await _form(p, {}, None, "", 200)


@router.post("/templates")
async def create(p: Page = Depends(page)) -> Response:
    form = await checked_form(p)

    async def act() -> Response:
        body = forms.body(form, schema.conversions(await _fields(p)))
        made = await p.api.post(PATH, body)
        return redirect(p, f"/templates/{made['uuid']}", flash=f"Created template {made['name']}.")

    return await attempt(p, act, lambda error, status: _form(p, form, None, error, status))


@router.get("/templates/{ident}")
async def template_detail(ident: str, p: Page = Depends(page)) -> Response:
    template = await p.api.get(f"{PATH}/{ident}")
    return render(p, "templates/detail.html", template=template)


@router.get("/templates/{ident}/edit")
async def edit_form(ident: str, p: Page = Depends(page)) -> Response:
    template = await p.api.get(f"{PATH}/{ident}")
    values = {f.name: forms.text(template.get(f.name)) for f in await _fields(p)}
    return await _form(p, values, template, "", 200)


@router.post("/templates/{ident}/edit")
async def edit(ident: str, p: Page = Depends(page)) -> Response:
    """A JSON patch of the fields the user changed (``forms.changes``)."""
    form = await checked_form(p)
    template = await p.api.get(f"{PATH}/{ident}")

    async def act() -> Response:
        ops = forms.changes(form, template, schema.conversions(await _fields(p)))
        if not ops:
            return redirect(p, f"/templates/{ident}", flash="Nothing was changed.")
        await p.api.patch(f"{PATH}/{ident}", ops)
        return redirect(p, f"/templates/{ident}", flash="Template updated.")

    return await attempt(p, act, lambda error, status: _form(p, form, template, error, status))


@router.post("/templates/{ident}/flags")
async def set_flags(ident: str, p: Page = Depends(page)) -> Response:
    """Admins: public and hidden, each a checkbox (a missing one is false)."""
    form = await checked_form(p)
    values = {name: name in form for name in ("public", "hidden")}
    await p.api.patch(f"{PATH}/{ident}", forms.replace_ops(values))
    return redirect(p, f"/templates/{ident}", flash="Template updated.")


@router.get("/templates/{ident}/delete")
async def delete_confirm(ident: str, p: Page = Depends(page)) -> Response:
    name = (await p.api.get(f"{PATH}/{ident}"))["name"]
    title = f"Delete cluster template {name}?"
    return confirm(p, title, f"Delete {name}", f"/templates/{ident}/delete", f"/templates/{ident}")


@router.post("/templates/{ident}/delete")
async def delete(ident: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(f"{PATH}/{ident}")
    return redirect(p, "/templates", flash="Template deleted.")
