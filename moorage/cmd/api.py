"""``moorage-api``: the HTTP API alone, talking to conductors over the bus.

Checks what would make every worker fail (configuration, noauth exposure, the
schema) once, then lets uvicorn run ``[api] workers`` processes of the app
built by ``moorage.cmd.api_app``, each with its own AMQP transport, under
``moorage.cmd.workers.Supervisor`` (no worker outlives the parent).
"""

from __future__ import annotations

import json
import os
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from moorage import config, metrics
from moorage.cmd import api_app, startup, workers
from moorage.cmd.serve import check_noauth_exposure, setup_logging
from moorage.config import CONF

# Seconds a worker may take to answer its parent's health check before it is replaced.
# uvicorn's 5 s is shorter than a worker's start (its imports) on two busy cores: the
# parent then killed and restarted starting workers, and served with fewer than asked.
HEALTHCHECK_TIMEOUT = 30


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    config.load(args, prog="moorage-api")
    setup_logging()
    check_noauth_exposure()
    startup.require_schema()
    startup.require_transport("moorage-api")
    os.environ[api_app.ARGS_ENV] = json.dumps(list(args))
    workers.mark_parent(CONF.api.workers)
    # Workers are processes: /metrics must add up all of them, whichever answers.
    with metrics.multiprocess_mode(CONF.api.workers > 1):
        serve(
            uvicorn.Config(
                "moorage.cmd.api_app:create",
                factory=True,
                host=CONF.api.host,
                port=CONF.api.port,
                workers=CONF.api.workers,
                log_level="warning",
                timeout_graceful_shutdown=CONF.api.shutdown_timeout,
                timeout_worker_healthcheck=HEALTHCHECK_TIMEOUT,
            )
        )


def serve(settings: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does, with Moorage's supervisor for more than one worker."""
    if settings.workers > 1:
        workers.Supervisor(settings, workers.worker_sockets(settings)).run()
        return
    server = uvicorn.Server(settings)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
