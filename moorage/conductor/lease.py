"""DB-backed leases: one conductor acts on a cluster at a time.

Taken with a conditional UPDATE (works the same on SQLite, PostgreSQL and
MariaDB), renewed by a background thread while the operation runs, and given
back at the end. A lease that is not renewed expires, so a conductor that dies
cannot block a cluster for longer than the lease time. Taking or renewing a lease
leaves ``updated_at`` alone: it tells clients when the cluster itself last changed.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import or_, update

from moorage import exceptions
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction


class LeaseHeld(exceptions.Conflict):
    """Another conductor holds the cluster's lease."""


def try_take(cluster_uuid: str, owner: str, seconds: int) -> bool:
    now = utcnow()
    table = models.Cluster
    stmt = (
        update(table)
        .where(table.uuid == cluster_uuid)
        .where(
            or_(
                table.lease_owner.is_(None),
                table.lease_owner == owner,
                table.lease_expires_at < now,
            )
        )
        .values(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=seconds),
            updated_at=table.updated_at,  # housekeeping, not a change of the cluster
        )
    )
    with transaction() as session:
        return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _give_back(cluster_uuid: str, owner: str) -> None:
    table = models.Cluster
    stmt = (
        update(table)
        .where(table.uuid == cluster_uuid, table.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, updated_at=table.updated_at)
    )
    with transaction() as session:
        session.execute(stmt)


_held_lock = threading.Lock()
_held: set[str] = set()  # clusters a Lease of this process holds


def _claim(cluster_uuid: str, owner: str, seconds: int) -> bool:
    """Take the lease unless this process or another conductor holds it."""
    with _held_lock:
        if cluster_uuid in _held:
            return False
        _held.add(cluster_uuid)
    try:
        if try_take(cluster_uuid, owner, seconds):
            return True
    except BaseException:
        _unclaim(cluster_uuid)
        raise
    _unclaim(cluster_uuid)
    return False


def _unclaim(cluster_uuid: str) -> None:
    with _held_lock:
        _held.discard(cluster_uuid)


class Lease:
    """A held lease; may be handed from the thread that took it to a worker thread."""

    def __init__(self, cluster_uuid: str, owner: str, seconds: int) -> None:
        self.cluster_uuid = cluster_uuid
        self.owner = owner
        self.seconds = seconds
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self, wait: float = 0.0) -> Lease:
        """Take the lease, trying for up to ``wait`` seconds while another holds it."""
        deadline = time.monotonic() + wait
        while not _claim(self.cluster_uuid, self.owner, self.seconds):
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"Cluster {self.cluster_uuid} is busy with another operation.")
            time.sleep(0.2)
        self._renewer = threading.Thread(
            target=self._renew, daemon=True, name=f"lease-{self.cluster_uuid[:8]}"
        )
        self._renewer.start()
        return self

    def release(self) -> None:
        self._stop.set()
        if self._renewer is None:
            return  # never acquired
        self._renewer.join()
        try:
            _give_back(self.cluster_uuid, self.owner)
        finally:
            _unclaim(self.cluster_uuid)

    def _renew(self) -> None:
        while not self._stop.wait(max(self.seconds / 3, 0.5)):
            try:
                try_take(self.cluster_uuid, self.owner, self.seconds)
            except exceptions.ServiceUnavailable:
                continue  # the DB is briefly away; try again before the lease runs out
