"""``moorage-conductor``: runs cluster operations received over the bus.

Serves the conductor topic until SIGTERM (or SIGINT); then it stops taking
messages, waits for those being handled, and lets running operations finish.
An operation cut short anyway (SIGKILL) is safe: its cluster's lease expires
and another conductor's reconcile loop resumes it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from moorage import config
from moorage.cmd import startup
from moorage.cmd.serve import setup_logging
from moorage.conductor.service import Conductor
from moorage.config import CONF
from moorage.rpc.amqp import RpcServer

LOG = logging.getLogger(__name__)


def wait_for_signal() -> None:
    """Block until SIGTERM or SIGINT arrives."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        LOG.info("Received %s, stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    while not stop.wait(1.0):
        pass


def main(argv: list[str] | None = None) -> None:
    config.load(sys.argv[1:] if argv is None else argv, prog="moorage-conductor")
    setup_logging()
    startup.require_schema()
    url = startup.require_transport("moorage-conductor")
    conductor = Conductor()
    server = RpcServer(conductor.manager, url)
    conductor.start()
    server.start()
    LOG.info("Conductor %s serving topic %s", server.server_id, CONF.conductor.topic)
    try:
        wait_for_signal()
    finally:
        server.stop()
        conductor.stop()
        LOG.info("Conductor %s stopped", server.server_id)
