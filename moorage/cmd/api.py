"""``moorage-api``: the HTTP API alone, talking to conductors over the bus."""

from __future__ import annotations

import sys

from moorage import config, exceptions
from moorage.cmd.serve import check_noauth_exposure, setup_logging
from moorage.config import CONF
from moorage.db import migrate, session


def main(argv: list[str] | None = None) -> None:
    config.load(sys.argv[1:] if argv is None else argv, prog="moorage-api")
    setup_logging()
    check_noauth_exposure()
    migrate.check(session.configure())
    if not CONF.transport_url:
        raise SystemExit(
            "moorage-api needs [DEFAULT] transport_url to reach the conductors; "
            "use 'moorage serve' for the embedded mode."
        )
    raise SystemExit(
        str(exceptions.NotImplementedFeature("The AMQP transport is not available yet."))
    )
