"""``moorage-api``: the HTTP API alone, talking to conductors over the bus.

Checks what would make every worker fail (configuration, noauth exposure, the
schema) once, then lets uvicorn run ``[api] workers`` processes of the app
built by ``moorage.cmd.api_app``, each with its own AMQP transport.
"""

from __future__ import annotations

import json
import os
import sys

import uvicorn

from moorage import config, metrics
from moorage.cmd import api_app, startup
from moorage.cmd.serve import check_noauth_exposure, setup_logging
from moorage.config import CONF


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    config.load(args, prog="moorage-api")
    setup_logging()
    check_noauth_exposure()
    startup.require_schema()
    startup.require_transport("moorage-api")
    os.environ[api_app.ARGS_ENV] = json.dumps(list(args))
    # Workers are processes: /metrics must add up all of them, whichever answers.
    with metrics.multiprocess_mode(CONF.api.workers > 1):
        uvicorn.run(
            "moorage.cmd.api_app:create",
            factory=True,
            host=CONF.api.host,
            port=CONF.api.port,
            workers=CONF.api.workers,
            log_level="warning",
        )
