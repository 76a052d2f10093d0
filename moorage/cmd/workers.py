"""``moorage-api``'s worker processes: they end with their parent, and a stop is bounded.

uvicorn runs ``[api] workers`` processes under a parent that only supervises them.
Left to itself, a worker whose parent is killed (SIGKILL, an OOM kill, a crash)
keeps the listening socket and keeps serving, unseen by the service manager that
thinks the API stopped; and a parent told to stop waits for ever for a worker
whose request never ends. So each worker asks the kernel for SIGTERM when its
parent dies (Linux's ``PR_SET_PDEATHSIG``; elsewhere a thread watches the parent
id), and the parent kills a worker that has not stopped ``[api] shutdown_timeout``
seconds (uvicorn's graceful shutdown) plus a margin after being told to.

Each worker also listens on a socket of its own, all bound to the one port with
``SO_REUSEPORT``, so that the kernel spreads new connections over the workers.
On one shared socket the worker that woke first accepted every connection of a
burst: 16 keep-alive clients all on one worker, the other idle, half the
throughput for as long as they stayed connected (issue 12's "16-client drop").
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

LOG = logging.getLogger(__name__)

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


def worker_sockets(config: Config) -> list[socket.socket]:
    """One listening socket per worker, all bound to ``config``'s host and port with
    ``SO_REUSEPORT`` (which Linux lets only the same user's sockets share)."""
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sockets: list[socket.socket] = []
    port = config.port
    try:
        for _ in range(config.workers):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((config.host, port))
            port = sock.getsockname()[1]  # port 0: the others join the one it was given
            sock.set_inheritable(True)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        LOG.error("Cannot listen on %s port %s: %s", config.host, config.port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    LOG.info("API listening on %s port %s, %d workers", config.host, port, config.workers)
    return sockets


class Supervisor(Multiprocess):
    """uvicorn's supervisor, except that each worker serves its own socket of
    ``worker_sockets`` (a replacement takes over the socket of the worker it replaces)
    and that stopping ends with every worker gone."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._socket_of: dict[int, socket.socket] = {}

    def _start(self, sock: socket.socket) -> Process:
        process = Process(self.config, [sock])
        process.start()
        self._socket_of[id(process)] = sock
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(sock) for sock in self.sockets]

    def keep_subprocess_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving: every replacement would fail the same way.
                LOG.error("API worker %s failed to start; stopping.", process.pid)
                self.should_exit.set()
                return
            LOG.info("API worker %s died; starting another", process.pid)
            self.processes[index] = self._start(self._socket_of.pop(id(process)))

    def restart_all(self) -> None:
        """SIGHUP: replace the workers one by one, each new one ready before the old stops."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(self._socket_of[id(old)])
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                LOG.error("API worker %s was not ready in time; keeping %s", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self._socket_of.pop(id(old))
            self.processes[index] = new

    def join_all(self) -> None:
        grace = self.config.timeout_graceful_shutdown or 0
        deadline = time.monotonic() + grace + KILL_MARGIN
        for worker in self.processes:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.kill()
                worker.process.join()
