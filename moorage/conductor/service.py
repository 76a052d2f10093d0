"""A conductor: the RPC endpoint plus its periodic tasks, started and stopped together."""

from __future__ import annotations

import logging
import os
import uuid as uuidlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from moorage.conductor.manager import ConductorManager
from moorage.conductor.periodic import Periodic, heartbeat
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.objects.requests import CAST

LOG = logging.getLogger(__name__)


class QueuedCasts:
    """The manager as the RPC server sees it: casts wait for one of ``[conductor] workers``.

    The RPC library runs each message on a thread of its own pool (64), so casts
    handed straight to the manager would run up to 64 operations at once whatever
    ``workers`` says. Here casts queue for a pool of ``workers`` threads, as in the
    embedded mode, and calls still run at once. ``shutdown`` lets the running casts
    finish and drops the queued ones: each cluster's queue records its requests,
    and another conductor's reconcile loop takes them up after ``lease_time``.
    """

    def __init__(self, manager: ConductorManager, workers: int) -> None:
        self._manager = manager
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conductor-cast")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in CAST:
            return getattr(self._manager, name)
        method = getattr(self._manager, name)

        def queue(ctx: RequestContext, **kwargs: Any) -> None:
            self._pool.submit(method, ctx, **kwargs).add_done_callback(_log_failure)

        return queue

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _log_failure(future: Future[Any]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        LOG.error("Conductor cast failed: %s", exc, exc_info=exc)


class Conductor:
    def __init__(self) -> None:
        # Unique per process, so two conductors on one host never share a lease.
        owner = f"{CONF.host}:{os.getpid()}:{uuidlib.uuid4().hex[:8]}"
        self.manager = ConductorManager(owner)
        self.periodic = Periodic(self.manager)
        self._queued: QueuedCasts | None = None

    def start(self) -> None:
        heartbeat(CONF.host)
        if CONF.periodic_enable:
            self.periodic.start()

    def endpoint(self) -> QueuedCasts:
        """What the RPC server dispatches to (``stop`` drops the casts still queued)."""
        self._queued = QueuedCasts(self.manager, CONF.conductor.workers)
        return self._queued

    def stop(self) -> None:
        """Stop taking new work and let running operations finish (they hold leases)."""
        if CONF.periodic_enable:
            self.periodic.stop()
        if self._queued is not None:
            self._queued.shutdown()
        self.manager.shutdown(wait=True)
