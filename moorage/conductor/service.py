"""A conductor: the RPC endpoint plus its periodic tasks, started and stopped together."""

from __future__ import annotations

import os
import uuid as uuidlib

from moorage.conductor.manager import ConductorManager
from moorage.conductor.periodic import Periodic, heartbeat
from moorage.config import CONF


class Conductor:
    def __init__(self) -> None:
        # Unique per process, so two conductors on one host never share a lease.
        owner = f"{CONF.host}:{os.getpid()}:{uuidlib.uuid4().hex[:8]}"
        self.manager = ConductorManager(owner)
        self.periodic = Periodic(self.manager)

    def start(self) -> None:
        heartbeat(CONF.host)
        if CONF.periodic_enable:
            self.periodic.start()

    def stop(self) -> None:
        """Stop taking new work and let running operations finish (they hold leases)."""
        if CONF.periodic_enable:
            self.periodic.stop()
        self.manager.shutdown(wait=True)
