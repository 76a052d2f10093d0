"""The ASGI application: routers, middleware and error handling put together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI

from moorage.api import docs, errors, keystone, metrics
from moorage.api.common import reject_unknown_args
from moorage.api.middleware import ApiMiddleware
from moorage.api.observe import AccessLogMiddleware
from moorage.api.routes import REGISTERED, root
from moorage.config import CONF


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the thread pool the routes (plain ``def``) run in: ``[api] threads``.

    Only one thread holds the GIL at a time, and each database or Keystone round trip
    ends queueing for it behind the others: with anyio's default of 40, 64 clients
    got a third less than 16 did; with 8, as much (benchmarks/api.py --table
    --threads). A request waiting long (a conductor's answer) holds its thread.
    """
    to_thread.current_default_thread_limiter().total_tokens = CONF.api.threads
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
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
