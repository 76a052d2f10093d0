"""In-process transport for the embedded mode: a thread pool in front of the conductor."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from moorage.context import RequestContext

LOG = logging.getLogger(__name__)


class LocalTransport:
    """Casts run on a bounded pool of worker threads; calls run in the caller's thread.

    Losing a cast here (the process dies) loses nothing: the cluster row already
    says what was asked, and the conductor's reconcile loop picks it up.
    """

    def __init__(self, endpoint: object, workers: int) -> None:
        self._endpoint = endpoint
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conductor")

    def cast(self, ctx: RequestContext, method: str, **kwargs: Any) -> None:
        future = self._pool.submit(getattr(self._endpoint, method), ctx, **kwargs)
        future.add_done_callback(lambda f: _log_failure(method, f))

    def call(self, ctx: RequestContext, method: str, **kwargs: Any) -> Any:
        return getattr(self._endpoint, method)(ctx, **kwargs)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


def _log_failure(method: str, future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        LOG.error("Conductor method %s failed: %s", method, exc, exc_info=exc)
