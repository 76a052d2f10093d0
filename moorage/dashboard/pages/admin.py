"""Admin pages: quotas (list, create, update, delete), stats and the conductor
services, as ``openstack coe quotas|stats|service`` show them. The API decides who
is an admin: anyone else sees its 403 text."""

from __future__ import annotations

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
QUOTAS = "/v1/quotas"
LIMIT = forms.Fields(ints=("hard_limit",))


async def _quotas(p: Page, values: dict[str, str], error: str = "", status: int = 200) -> Response:
    quotas = await p.api.collect(QUOTAS, "quotas", all_tenants="true")
    fields = await schema.request_fields(p.api, QUOTAS)
    return render(
        p,
        "admin/quotas.html",
        status=status,
        quotas=quotas,
        fields=fields,
        values=values,
        error=error,
    )


@router.get("/admin/quotas")
async def quota_list(p: Page = Depends(page)) -> Response:
    return await _quotas(p, {})


@router.post("/admin/quotas")
async def quota_create(p: Page = Depends(page)) -> Response:
    form = await checked_form(p)

    async def act() -> Response:
        fields = schema.conversions(await schema.request_fields(p.api, QUOTAS))
        made = await p.api.post(QUOTAS, forms.body(form, fields))
        flash = f"Quota of {made['project_id']} set to {made['hard_limit']}."
        return redirect(p, "/admin/quotas", flash=flash)

    return await attempt(p, act, lambda error, status: _quotas(p, form, error, status))


def _quota_path(project: str, resource: str) -> str:
    return f"{QUOTAS}/{project}/{resource}"


async def _quota_form(
    p: Page, project: str, resource: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    quota = await p.api.get(_quota_path(project, resource))
    shown = values or {"hard_limit": forms.text(quota.get("hard_limit"))}
    return render(p, "admin/quota.html", status=status, quota=quota, values=shown, error=error)


@router.get("/admin/quotas/{project}/{resource}/edit")
async def quota_edit_form(project: str, resource: str, p: Page = Depends(page)) -> Response:
    return await _quota_form(p, project, resource, {})


@router.post("/admin/quotas/{project}/{resource}/edit")
async def quota_edit(project: str, resource: str, p: Page = Depends(page)) -> Response:
    """A plain object, as the quota PATCH takes (not a JSON patch)."""
    form = await checked_form(p)

    async def act() -> Response:
        path = _quota_path(project, resource)
        await p.api.request("PATCH", path, body=forms.body(form, LIMIT))
        return redirect(p, "/admin/quotas", flash=f"Quota of {project} updated.")

    return await attempt(
        p, act, lambda error, status: _quota_form(p, project, resource, form, error, status)
    )


@router.get("/admin/quotas/{project}/{resource}/delete")
async def quota_delete_confirm(project: str, resource: str, p: Page = Depends(page)) -> Response:
    post = f"/admin/quotas/{project}/{resource}/delete"
    warning = "The project falls back to the default limit."
    title = f"Delete the {resource} quota of {project}?"
    return confirm(p, title, "Delete the quota", post, "/admin/quotas", warning)


@router.post("/admin/quotas/{project}/{resource}/delete")
async def quota_delete(project: str, resource: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(_quota_path(project, resource))
    return redirect(p, "/admin/quotas", flash=f"Quota of {project} deleted.")


@router.get("/admin/stats")
async def stats(project_id: str = "", p: Page = Depends(page)) -> Response:
    found = await p.api.get("/v1/stats", project_id=project_id)
    return render(p, "admin/stats.html", stats=found, project_id=project_id)


@router.get("/admin/services")
async def services(p: Page = Depends(page)) -> Response:
    found = (await p.api.get("/v1/mservices") or {}).get("mservices") or []
    return render(p, "admin/services.html", services=found)
