"""Sign-in, sign-out and (Keystone) the project switch, as ``auth_strategy`` wants them.

noauth has no sign-in: every caller acts in ``[noauth] project_id``. http_basic
checks the user and password by asking the API who they are (``/v1/whoami``),
which also gives the project and roles. Keystone issues a project-scoped token,
which the session keeps and the API validates as usual.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Response

from moorage.config import CONF
from moorage.dashboard.client import Api, ApiError, Keystone, Token
from moorage.dashboard.session import Session
from moorage.dashboard.web import (
    Page,
    anonymous_page,
    api_url,
    checked_form,
    identified,
    page,
    redirect,
    render,
    strategy,
)

router = APIRouter()


def _next(target: str | None) -> str:
    """Only a path of this dashboard (never another site) is followed after sign-in."""
    if target and target.startswith("/dashboard/") and "//" not in target and "\\" not in target:
        return target.removeprefix("/dashboard")
    return "/clusters"


@router.get("/signin")
async def sign_in_form(next: str | None = None, p: Page = Depends(anonymous_page)) -> Response:
    if strategy() == "noauth":
        return redirect(p, "/clusters")
    ended = p.session.ended
    if ended:
        p.update(replace(p.session, ended=""))
    return render(p, "signin.html", message=ended, next=next or "", values={"domain": "Default"})


async def _keystone(p: Page) -> Keystone:
    url = CONF.dashboard.keystone_url or await p.api.keystone_url()
    return Keystone(str(url))


def _token_session(p: Page, token: Token) -> Session:
    return Session(
        user=token.user,
        token=token.token,
        project_id=token.project_id,
        project_name=token.project_name,
        roles=token.roles,
    )


async def _authenticate(p: Page, form: dict[str, str]) -> Session:
    user, password = form.get("user", "").strip(), form.get("password", "")
    if strategy() == "keystone":
        keystone = await _keystone(p)
        token = await keystone.password_token(
            user, password, form.get("domain", "").strip(), form.get("project", "").strip()
        )
        return _token_session(p, token)
    candidate = Session(user=user, password=password)
    api = Api(api_url(p.request), candidate.credentials())
    known = await identified(api, candidate)
    if known is None:
        await api.get("/v1/clustertemplates", limit=1)  # the password is checked all the same
    return known or candidate


@router.post("/signin")
async def sign_in(p: Page = Depends(anonymous_page)) -> Response:
    form = await checked_form(p)
    try:
        signed = await _authenticate(p, form)
    except ApiError as exc:
        values = {k: v for k, v in form.items() if k != "password"}
        return render(p, "signin.html", status=401, error=exc.message, values=values, next="")
    p.update(signed)
    return redirect(p, _next(form.get("next")), flash=f"Signed in as {signed.user}.")


@router.post("/signout")
async def sign_out(p: Page = Depends(page)) -> Response:
    await checked_form(p)
    if p.session.token and strategy() == "keystone":
        await (await _keystone(p)).revoke(p.session.token)
    p.update(p.session.signed_out("You have signed out."))
    return redirect(p, "/signin")


@router.get("/projects")
async def projects(p: Page = Depends(page)) -> Response:
    """Keystone: the projects the user may switch to without signing in again."""
    if strategy() != "keystone":
        return redirect(p, "/clusters")
    found = await (await _keystone(p)).projects(p.session.token)
    return render(p, "projects.html", projects=found)


@router.post("/projects")
async def switch_project(p: Page = Depends(page)) -> Response:
    form = await checked_form(p)
    token = await (await _keystone(p)).rescope(p.session.token, form.get("project_id", ""))
    p.update(_token_session(p, token))
    return redirect(p, "/clusters", flash=f"Now working in project {token.project_name}.")
