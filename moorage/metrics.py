"""Prometheus metrics of the API and the conductor, declared once.

Code elsewhere records with one line (``metrics.lease_takeover("redispatch")``,
``with metrics.operation(method) as op:``); ``exposition`` renders everything
in Prometheus' text format for ``GET /metrics`` (API) and the conductor's
listener (``[conductor] metrics_port``).

Several uvicorn workers (``[api] workers`` > 1) are separate processes, and a
scrape reaches one of them. ``moorage-api`` therefore turns on
prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set before
the workers start) and every worker's /metrics answers the sum over all
workers. A single process keeps its counters in memory.

Two values are read when scraped instead of being counted: clusters by status
(one ``GROUP BY`` on the clusters table, API only, left out while the database
is unreachable) and the conductor topic's queue depth (a passive
``queue.declare`` on the broker, conductor only, left out while it is down).
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LOG = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

disable_created_metrics()  # no *_created series: they double the output and nobody graphs them

# Requests: a few ms (show) to seconds (a create whose cast retries a dead broker).
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# Operations: the test driver's milliseconds to a real cluster's minutes.
_OPERATION_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800)

REQUESTS = Counter(
    "moorage_api_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "moorage_api_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code.",
    ["method", "route", "status"],
    buckets=_REQUEST_BUCKETS,
)
OPERATION_SECONDS = Histogram(
    "moorage_conductor_operation_duration_seconds",
    "Driver work of a cluster operation, by conductor method and outcome "
    "(success, or failure: the cluster is recorded *_FAILED).",
    ["operation", "outcome"],
    buckets=_OPERATION_BUCKETS,
)
IN_FLIGHT = Gauge(
    "moorage_conductor_operations_in_progress",
    "Cluster operations this conductor is running now, by conductor method.",
    ["operation"],
    multiprocess_mode="livesum",
)
TAKEOVERS = Counter(
    "moorage_conductor_lease_takeovers",
    "Clusters the reconcile loop took over from a dead conductor or a lost message: "
    "redispatch (the recorded operation runs again) or abandoned (failed with a reason).",
    ["kind"],
)


# Methods counted by name; any other (clients may send any token) is counted as "other",
# so that a caller cannot grow the label set, and the memory it takes, without bound.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def unmatched_route() -> str:
    """The route label of a request no route matched (keeps the label set bounded)."""
    return "<unmatched>"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


@dataclass
class _Running:
    outcome: str = "error"


@contextmanager
def operation(name: str) -> Iterator[_Running]:
    """Count an operation in flight and time it; set ``.outcome`` before leaving."""
    running = _Running()
    started = time.monotonic()
    gauge = IN_FLIGHT.labels(name)
    gauge.inc()
    try:
        yield running
    finally:
        gauge.dec()
        OPERATION_SECONDS.labels(name, running.outcome).observe(time.monotonic() - started)


def lease_takeover(kind: str) -> None:
    TAKEOVERS.labels(kind).inc()


# --- scrape-time values ------------------------------------------------------------


class ScrapeCollector(Collector):
    """A gauge family computed at scrape time; a failing source is left out, not an error."""

    def __init__(
        self, name: str, documentation: str, label: str, read: Callable[[], Iterable[Any]]
    ) -> None:
        self._name, self._doc, self._label, self._read = name, documentation, label, read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            rows = list(self._read())
        except Exception as exc:  # the database or the broker is down: say nothing
            LOG.debug("Metric %s not read: %s", self._name, exc)
            return
        family = GaugeMetricFamily(self._name, self._doc, labels=[self._label])
        for key, value in rows:
            family.add_metric([str(key)], float(value))
        yield family


def queue_depth(url: str, queue: str) -> Callable[[], list[tuple[str, int]]]:
    """Messages waiting on an AMQP queue, read by a passive declare (one short connection)."""

    def read() -> list[tuple[str, int]]:
        import kombu  # only conductors with a metrics listener need it

        with kombu.Connection(url, connect_timeout=1, transport_options={"max_retries": 0}) as c:
            c.connect()
            _name, count, _consumers = c.channel().queue_declare(queue=queue, passive=True)
            return [(queue, int(count))]

    return read


# --- exposition ----------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())


def prepare_multiprocess(directory: str) -> None:
    """Use ``directory`` for the counters of the processes started from now on (emptied)."""
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):
        os.remove(stale)
    os.environ[MULTIPROC_ENV] = directory


def exposition(*extra: Collector) -> bytes:
    """This process's metrics (or every worker's, in multiprocess mode) plus ``extra``."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if extra:
        more = CollectorRegistry()
        for collector in extra:
            more.register(collector)
        text += generate_latest(more)
    return text


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(host: str, port: int, *extra: Collector) -> WSGIServer:
    """A small HTTP listener answering ``GET /metrics`` on a daemon thread; ``shutdown()`` ends it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found\n"]
        body = exposition(*extra)
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
        )
        return [body]

    server = make_server(host, port, app, _ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics-http").start()
    return server


@contextmanager
def multiprocess_mode(enabled: bool) -> Iterator[None]:
    """Around starting worker processes: their counters go to one shared directory.

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is used (emptied first); otherwise
    a temporary directory is made and removed when the workers have stopped.
    """
    if not enabled:
        yield
        return
    given = multiprocess_dir()
    directory = given or tempfile.mkdtemp(prefix="moorage-metrics-")
    prepare_multiprocess(directory)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(directory, ignore_errors=True)
