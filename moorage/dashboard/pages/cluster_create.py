"""The cluster create form: what ``openstack coe cluster create`` takes, as one page.

The template's own values are shown next to each field (the API uses them for
what is left empty); the API validates, and its message is shown over the form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from moorage.dashboard import forms, schema
from moorage.dashboard.pages.clusters import templates_by_id
from moorage.dashboard.web import Page, attempt, checked_form, page, redirect, render

router = APIRouter()

# Magnum's label for auto-healing, as magnum-ui's create wizard sets it.
AUTO_HEALING = "auto_healing_enabled"
# Fields the catalog offers names for; empty, the template's value applies.
FROM_CATALOG = tuple(
    schema.Field(name, "string", note="the template's if empty", empty="(the template's)")
    for name in ("keypair", "master_flavor_id", "flavor_id")
)


async def _form(p: Page, values: dict[str, str], error: str = "", status: int = 200) -> Response:
    templates = list((await templates_by_id(p.api)).values())
    return render(
        p,
        "clusters/create.html",
        status=status,
        templates=templates,
        chosen=schema.offer(list(FROM_CATALOG), await schema.catalog(p.api)),
        values=values,
        error=error,
    )


@router.get("/clusters/new")
async def create_form(template: str = "", p: Page = Depends(page)) -> Response:
    return await _form(p, {"cluster_template_id": template})


def cluster_body(form: dict[str, str], fields: forms.Fields) -> dict[str, Any]:
    healing = form.pop("auto_healing", "")
    body = forms.body(form, fields)
    if healing in ("true", "false"):
        body.setdefault("labels", {})[AUTO_HEALING] = healing
    return body


@router.post("/clusters")
async def create(p: Page = Depends(page)) -> Response:
    form = await checked_form(p)

    async def act() -> Response:
        fields = schema.conversions(await schema.request_fields(p.api, "/v1/clusters"))
        made = await p.api.post("/v1/clusters", cluster_body(dict(form), fields))
        flash = f"Creating cluster {form.get('name')}."
        return redirect(p, f"/clusters/{made['uuid']}", flash=flash)

    return await attempt(p, act, lambda error, status: _form(p, form, error, status))
