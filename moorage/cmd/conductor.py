"""``moorage-conductor``: runs cluster operations received over the bus.

Serves the conductor topic until SIGTERM (or SIGINT); then it stops taking
messages, waits for those being handled, and lets running operations finish.
An operation cut short anyway (SIGKILL) is safe: its cluster's lease expires
and another conductor's reconcile loop resumes it. With ``[conductor]
metrics_port`` set it also answers Prometheus' ``GET /metrics`` on that port.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

from moorage import config, metrics
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


def amqp_url(transport_url: str) -> str:
    """The first broker of an oslo.messaging ``rabbit://`` URL, as kombu's ``amqp://`` URL."""
    parts = urlsplit(transport_url)
    first = parts.netloc.split(",")[0]
    return f"amqp://{first}{parts.path or '/'}"


def start_metrics(transport_url: str) -> WSGIServer | None:
    """The Prometheus listener of ``[conductor] metrics_port`` (none when it is 0)."""
    if not CONF.conductor.metrics_port:
        return None
    depth = metrics.ScrapeCollector(
        "moorage_rpc_queue_messages",
        "Messages waiting on the conductor topic's queue, read from the broker when scraped "
        "(absent while it is unreachable).",
        "queue",
        metrics.queue_depth(amqp_url(transport_url), CONF.conductor.topic),
    )
    server = metrics.serve(CONF.conductor.metrics_host, CONF.conductor.metrics_port, depth)
    LOG.info(
        "Metrics on http://%s:%s/metrics", CONF.conductor.metrics_host, CONF.conductor.metrics_port
    )
    return server


def main(argv: list[str] | None = None) -> None:
    config.load(sys.argv[1:] if argv is None else argv, prog="moorage-conductor")
    setup_logging()
    startup.require_schema()
    url = startup.require_transport("moorage-conductor")
    conductor = Conductor()
    server = RpcServer(conductor.endpoint(), url)
    listener = start_metrics(url)
    conductor.start()
    server.start()
    LOG.info("Conductor %s serving topic %s", server.server_id, CONF.conductor.topic)
    try:
        wait_for_signal()
    finally:
        server.stop()
        conductor.stop()
        if listener is not None:
            listener.shutdown()
        LOG.info("Conductor %s stopped", server.server_id)
