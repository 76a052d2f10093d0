"""``mount``: the dashboard's routes, static files and error pages on the API's app."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from moorage.config import CONF
from moorage.dashboard import web
from moorage.dashboard.client import ApiError, Unauthenticated
from moorage.dashboard.pages import (
    admin,
    auth,
    certificates,
    cluster_actions,
    cluster_create,
    clusters,
    nodegroups,
    templates,
)

# Order matters where paths overlap: /clusters/new before /clusters/{ident}.
PAGES = (
    auth,
    cluster_create,
    nodegroups,
    cluster_actions,
    certificates,
    clusters,
    templates,
    admin,
)


def _home(request: Request) -> Response:
    return RedirectResponse(web.PREFIX + "/clusters", status_code=303)


def mount(app: FastAPI) -> None:
    """Serve the dashboard from ``app`` unless ``[dashboard] enabled`` is false."""
    if not CONF.dashboard.enabled:
        return
    # The dashboard's own calls are in the access log already, as the API answers them.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    router = APIRouter(prefix=web.PREFIX)
    router.add_api_route("", _home, methods=["GET"])
    for module in PAGES:
        router.include_router(module.router)
    app.include_router(router, include_in_schema=False)
    static = StaticFiles(directory=str(web.HERE / "static"))
    app.mount(web.PREFIX + "/static", static, name="dashboard-static")
    app.add_exception_handler(web.SignInRequired, web.on_sign_in_required)
    app.add_exception_handler(Unauthenticated, web.on_unauthenticated)
    app.add_exception_handler(ApiError, web.on_api_error)
