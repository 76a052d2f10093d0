"""``moorage-api``'s worker processes: they end with their parent, and a stop is bounded.

uvicorn runs ``[api] workers`` processes under a parent that only supervises them.
Left to itself, a worker whose parent is killed (SIGKILL, an OOM kill, a crash)
keeps the listening socket and keeps serving, unseen by the service manager that
thinks the API stopped; and a parent told to stop waits for ever for a worker
whose request never ends. So each worker asks the kernel for SIGTERM when its
parent dies (Linux's ``PR_SET_PDEATHSIG``; elsewhere a thread watches the parent
id), and the parent kills a worker that has not stopped ``[api] shutdown_timeout``
seconds (uvicorn's graceful shutdown) plus a margin after being told to.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from uvicorn.supervisors import Multiprocess

# The parent's pid, put in the environment the spawned workers inherit.
PARENT_ENV = "MOORAGE_API_PARENT"
_PR_SET_PDEATHSIG = 1
# Seconds past the workers' own shutdown timeout before the parent kills them.
KILL_MARGIN = 5.0
_WATCH_INTERVAL = 0.5


def mark_parent(workers: int) -> None:
    """In the parent, before the workers start: tell them whose death ends them (with one
    worker uvicorn serves in the parent itself, which has nobody to watch)."""
    if workers > 1:
        os.environ[PARENT_ENV] = str(os.getpid())
    else:
        os.environ.pop(PARENT_ENV, None)


def end_with_parent() -> None:
    """In a worker (a no-op in a single-process ``moorage-api``): SIGTERM when the parent
    is gone, which makes uvicorn shut the worker down as if the parent had asked."""
    parent = os.environ.get(PARENT_ENV)
    if not parent:
        return
    if not _death_signal(signal.SIGTERM):
        threading.Thread(target=_watch, args=(int(parent),), daemon=True).start()
    if os.getppid() != int(parent):  # the parent died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)


def _death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` when the parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_INTERVAL)
    os.kill(os.getpid(), signal.SIGTERM)


class Supervisor(Multiprocess):
    """uvicorn's supervisor, except that stopping ends with every worker gone."""

    def join_all(self) -> None:
        grace = self.config.timeout_graceful_shutdown or 0
        deadline = time.monotonic() + grace + KILL_MARGIN
        for worker in self.processes:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.kill()
                worker.process.join()
