"""The ASGI app of ``moorage-api``, as each uvicorn worker process builds it.

uvicorn starts ``[api] workers`` fresh processes that import this factory by
name, so the configuration cannot be inherited: ``moorage-api`` puts its
command-line arguments in ``MOORAGE_API_ARGS`` and every worker loads them
again. The AMQP transport is made inside the worker (a connection must not
cross a fork) by the app's lifespan, and closed when the worker stops.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from moorage import config
from moorage.api.app import create_app
from moorage.cmd import startup, workers
from moorage.cmd.serve import setup_logging
from moorage.config import CONF
from moorage.dashboard.mount import mount as mount_dashboard
from moorage.db import session
from moorage.rpc import api as rpc_api
from moorage.rpc.amqp import AmqpTransport

ARGS_ENV = "MOORAGE_API_ARGS"


def create() -> FastAPI:
    """uvicorn's factory: configuration, logging, DB, then the app with the bus attached."""
    workers.end_with_parent()
    config.load(json.loads(os.environ.get(ARGS_ENV, "[]")), prog="moorage-api")
    setup_logging()
    session.configure()
    app = create_app()
    mount_dashboard(app)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        transport = AmqpTransport(CONF.transport_url)
        rpc_api.set_transport(transport)
        try:
            async with inner(application):
                yield
        finally:
            rpc_api.set_transport(None)
            transport.cleanup()

    app.router.lifespan_context = lifespan
    startup.freeze_heap()
    return app
