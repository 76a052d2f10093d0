"""The ASGI application: routers, middleware and error handling put together."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from moorage.api import docs, errors, keystone, metrics
from moorage.api.common import reject_unknown_args
from moorage.api.middleware import ApiMiddleware
from moorage.api.observe import AccessLogMiddleware
from moorage.api.routes import REGISTERED, root


def create_app() -> FastAPI:
    app = FastAPI(
        title="Moorage container-infra API",
        version="1.14",
        description="OpenStack Magnum's container-infra v1 API, served by Moorage.",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    errors.install(app)
    # keystonemiddleware's own answers (401 with its body, 503) go out as they are.
    app.add_exception_handler(keystone.KeystoneRejected, keystone.rejected)
    app.include_router(root.router)
    app.include_router(metrics.router)
    app.include_router(docs.router)
    for router in REGISTERED:
        app.include_router(router, prefix="/v1", dependencies=[Depends(reject_unknown_args)])
    app.add_middleware(metrics.MetricsMiddleware)  # inside ApiMiddleware: sees /v1 paths
    app.add_middleware(ApiMiddleware)
    app.add_middleware(AccessLogMiddleware)  # outermost: sees every answer and its id
    return app
