"""What every dashboard page shares: its session, its API client, rendering, redirects.

A page handler takes a ``Page`` (``Depends(page)``): the signed-in session (or a
redirect to sign-in), and an ``Api`` that calls the v1 API with the session's
credentials. Errors the API answers are shown with the API's own text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from moorage.config import CONF
from moorage.dashboard import forms
from moorage.dashboard import session as sessions
from moorage.dashboard.client import Api, ApiError, Unauthenticated
from moorage.dashboard.session import Session

PREFIX = "/dashboard"
HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))


def when(value: Any) -> str:
    """An API time (ISO 8601, UTC) as people read it: to the second, marked UTC."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "-")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.utcoffset() is not None else "")


TEMPLATES.env.filters["when"] = when
EXPIRED = "Your session has expired; sign in again."
REFUSED = "The API no longer accepts your sign-in ({}); sign in again."
STALE_FORM = "The form was stale or not sent from this dashboard (CSRF check); nothing was changed."


class SignInRequired(Exception):
    """The page needs a signed-in user and there is none."""


@dataclass
class Page:
    request: Request
    session: Session
    api: Api
    changed: bool = False

    def update(self, session: Session) -> None:
        self.session = session
        self.changed = True

    def flash(self, text: str) -> None:
        self.update(self.session.with_flash(text))


def strategy() -> str:
    return str(CONF.auth_strategy)


def api_url(request: Request) -> str:
    """The service's own URL: the configured one, or where this request arrived."""
    if CONF.dashboard.api_url:
        return str(CONF.dashboard.api_url)
    host, port = request.scope.get("server") or (CONF.api.host, CONF.api.port)
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


def anonymous_page(request: Request) -> Page:
    """A page that needs no sign-in (the sign-in page itself)."""
    session, expired = sessions.load(request)
    page = Page(request, session, Api(api_url(request), session.credentials()))
    # A new session is kept, so that its CSRF token is the one the next post brings.
    page.changed = sessions.COOKIE not in request.cookies
    if expired:
        page.update(session.signed_out(EXPIRED))
    return page


async def identified(api: Api, session: Session) -> Session | None:
    """``session`` with the project and roles the API says its caller has.

    Under http_basic and noauth nothing else tells the dashboard what a user may do,
    and a reader should see no write buttons from its first page. None when the API
    will not say (a policy that refuses ``whoami:get``, an API without the route):
    then write buttons show until the first refusal makes the session read-only.
    """
    try:
        me = await api.whoami()
    except Unauthenticated:
        raise
    except ApiError as exc:
        if exc.status in (403, 404):
            return None
        raise
    project = str(me.get("project_id") or "")
    return replace(
        session,
        project_id=project,
        project_name=str(me.get("project_name") or project),
        roles=tuple(str(r) for r in me.get("roles") or ()),
    )


async def page(request: Request) -> Page:
    """Dependency of every page behind sign-in (noauth: asks the API, on the
    session's first page, which project and roles every caller has)."""
    found = anonymous_page(request)
    if strategy() == "noauth":
        if not found.session.roles:
            known = await identified(found.api, found.session)
            if known is not None:
                found.update(known)
        return found
    if not found.session.signed_in:
        raise SignInRequired(found.session.ended)
    return found


def render(page: Page, view: str, status: int = 200, **values: Any) -> Response:
    session = page.session
    response = TEMPLATES.TemplateResponse(
        page.request,
        view,
        {
            "session": session,
            "strategy": strategy(),
            "may_write": session.may_write,
            "flash": session.flash,
            "poll": CONF.dashboard.poll_interval,
            "noauth_project": CONF.noauth.project_id,
            "prefix": PREFIX,
            **values,
        },
        status_code=status,
    )
    if session.flash:
        page.update(replace(session, flash=""))
    return finish(page, response)


# Pages load nothing from elsewhere and run no inline script; no one frames them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def finish(page: Page, response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if page.changed:
        sessions.store(page.request, response, page.session)
    return response


def redirect(page: Page, path: str, flash: str = "") -> Response:
    """See-other to ``path`` below the prefix (htmx follows ``HX-Redirect`` instead)."""
    if flash:
        page.flash(flash)
    url = PREFIX + path
    if page.request.headers.get("hx-request"):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    return finish(page, response)


async def checked_form(page: Page) -> dict[str, str]:
    """The posted form, once its CSRF token is the session's; ApiError(403) otherwise."""
    form = await page.request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    if not sessions.csrf_ok(page.session, values.pop("csrf_token", None)):
        raise ApiError(403, STALE_FORM)
    return values


async def form_list(page: Page, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes of one name); Starlette keeps the
    form parsed, so this follows ``checked_form`` at no cost."""
    form = await page.request.form()
    return [str(v) for v in form.getlist(name) if isinstance(v, str)]


def note_refusal(page: Page, exc: ApiError) -> str:
    """A policy refusal of a write: from now on the session shows no write buttons
    (roles say what a user may do, but a policy file may say otherwise). The API's text."""
    if exc.status == 403 and exc.title != STALE_FORM:
        page.update(replace(page.session, read_only=True))
    return exc.message


async def _to_sign_in(request: Request, why: str) -> Response:
    target = PREFIX + "/signin?next=" + quote(request.url.path)
    session, _ = sessions.load(request)
    out = Page(request, session.signed_out(why), Api("", session.credentials()), changed=True)
    if request.headers.get("hx-request"):
        return finish(out, Response(status_code=204, headers={"HX-Redirect": target}))
    return finish(out, RedirectResponse(target, status_code=303))


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    return await _to_sign_in(request, str(exc))


async def on_unauthenticated(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unauthenticated)
    return await _to_sign_in(request, REFUSED.format(exc.message))


async def on_api_error(request: Request, exc: Exception) -> Response:
    """An API refusal no handler expected: the API's text on an error page."""
    assert isinstance(exc, ApiError)
    found = anonymous_page(request)
    message = note_refusal(found, exc) if request.method == "POST" else exc.message
    return render(found, "error.html", status=exc.status, error=message)


# A form page drawn again: (error text, HTTP status) -> the page.
Redraw = Callable[[str, int], Awaitable[Response]]


async def attempt(p: Page, act: Callable[[], Awaitable[Response]], redraw: Redraw) -> Response:
    """Run a form's ``act``; when the API (or the form's own encoding) refuses, the
    form again with the refusal's text over it and the values as typed."""
    try:
        return await act()
    except forms.FormError as exc:
        return await redraw(str(exc), 400)
    except Unauthenticated:
        raise
    except ApiError as exc:
        return await redraw(note_refusal(p, exc), exc.status)


def confirm(p: Page, title: str, button: str, post: str, back: str, warning: str = "") -> Response:
    """A page that asks before an action cannot be undone: ``button`` posts to ``post``."""
    return render(
        p, "confirm.html", title=title, button=button, post=post, back=back, warning=warning
    )
