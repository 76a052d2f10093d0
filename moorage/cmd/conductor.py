"""``moorage-conductor``: runs cluster operations received over the bus."""

from __future__ import annotations

import sys

from moorage import config, exceptions
from moorage.cmd.serve import setup_logging
from moorage.config import CONF
from moorage.db import migrate, session


def main(argv: list[str] | None = None) -> None:
    config.load(sys.argv[1:] if argv is None else argv, prog="moorage-conductor")
    setup_logging()
    migrate.check(session.configure())
    if not CONF.transport_url:
        raise SystemExit(
            "moorage-conductor needs [DEFAULT] transport_url; use 'moorage serve' instead."
        )
    raise SystemExit(
        str(exceptions.NotImplementedFeature("The AMQP transport is not available yet."))
    )
