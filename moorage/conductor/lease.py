"""DB-backed leases that fence: one conductor acts on a cluster at a time.

Taken with a conditional UPDATE (works the same on SQLite, PostgreSQL and
MariaDB), renewed by a background thread while the operation runs, and given
back at the end. A lease that is not renewed expires, so a conductor that dies
cannot block a cluster for longer than the lease time. Taking or renewing a lease
leaves ``updated_at`` alone: it tells clients when the cluster itself last changed.

Expiry alone would let a conductor that was only cut off (from the database, for
longer than the lease time) go on working while another one runs the same request
again. So every take increments ``lease_token`` (a fencing token, as Ironic's
task manager and Kleppmann's "fencing tokens" have it), and every write an
operation makes happens in a ``fenced`` transaction, whose first statement is an
UPDATE matching the cluster only while it is still leased to this owner *with this
token*. A stale holder's UPDATE matches no row and raises ``LeaseLost``; a current
holder's locks the row until commit, so no take can slip in between the check and
the writes. The renewal thread marks the lease lost as soon as a renewal fails (or
none succeeded for a whole lease time), and a fenced transaction then refuses at
once: the operation stops before its next write.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction

LOG = logging.getLogger(__name__)

FENCED = "moorage.fenced"
"""Key of ``Session.info``: the cluster whose lease fences the session's transaction."""


class LeaseHeld(exceptions.Conflict):
    """Another conductor holds the cluster's lease."""


class LeaseLost(exceptions.Conflict):
    """This conductor's lease was taken over (or ran out): it must write nothing more."""


def try_take(cluster_uuid: str, owner: str, seconds: int) -> int | None:
    """Take the lease unless someone else holds it; the new fencing token, or None."""
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
            lease_token=func.coalesce(table.lease_token, 0) + 1,
            updated_at=table.updated_at,  # housekeeping, not a change of the cluster
        )
    )
    with transaction() as session:
        if not session.execute(stmt).rowcount:  # type: ignore[attr-defined]
            return None
        # The row stays locked until commit: the token read is the one just written.
        return session.scalar(select(table.lease_token).where(table.uuid == cluster_uuid))


def _held_by(cluster_uuid: str, owner: str, token: int) -> Any:
    """The WHERE clause of every write that needs the lease still held by ``owner``."""
    table = models.Cluster
    return (
        (table.uuid == cluster_uuid) & (table.lease_owner == owner) & (table.lease_token == token)
    )


def _renew(cluster_uuid: str, owner: str, token: int, seconds: int) -> bool:
    """Push the expiry back; False when another conductor took the lease meanwhile."""
    table = models.Cluster
    stmt = (
        update(table)
        .where(_held_by(cluster_uuid, owner, token))
        .values(lease_expires_at=utcnow() + timedelta(seconds=seconds), updated_at=table.updated_at)
    )
    with transaction() as session:
        return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _give_back(cluster_uuid: str, owner: str, token: int) -> None:
    table = models.Cluster
    stmt = (
        update(table)
        .where(_held_by(cluster_uuid, owner, token))
        .values(lease_owner=None, lease_expires_at=None, updated_at=table.updated_at)
    )
    with transaction() as session:
        session.execute(stmt)


_held_lock = threading.Lock()
_held: set[str] = set()  # clusters a Lease of this process holds


def _claim(cluster_uuid: str, owner: str, seconds: int) -> int | None:
    """Take the lease unless this process or another conductor holds it; its token."""
    with _held_lock:
        if cluster_uuid in _held:
            return None
        _held.add(cluster_uuid)
    try:
        token = try_take(cluster_uuid, owner, seconds)
    except BaseException:
        _unclaim(cluster_uuid)
        raise
    if token is None:
        _unclaim(cluster_uuid)
    return token


def _unclaim(cluster_uuid: str) -> None:
    with _held_lock:
        _held.discard(cluster_uuid)


class Lease:
    """A held lease; may be handed from the thread that took it to a worker thread."""

    def __init__(self, cluster_uuid: str, owner: str, seconds: int) -> None:
        self.cluster_uuid = cluster_uuid
        self.owner = owner
        self.seconds = seconds
        self.token: int | None = None
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def acquire(self, wait: float = 0.0) -> Lease:
        """Take the lease, trying for up to ``wait`` seconds while another holds it."""
        deadline = time.monotonic() + wait
        while (token := _claim(self.cluster_uuid, self.owner, self.seconds)) is None:
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"Cluster {self.cluster_uuid} is busy with another operation.")
            time.sleep(0.2)
        self.token = token
        self._renewer = threading.Thread(
            target=self._keep, daemon=True, name=f"lease-{self.cluster_uuid[:8]}"
        )
        self._renewer.start()
        return self

    def release(self) -> None:
        """Give the lease back, unless it was lost: then it belongs to someone else."""
        self._stop.set()
        if self._renewer is None or self.token is None:
            return  # never acquired
        self._renewer.join()
        try:
            if not self.lost:
                _give_back(self.cluster_uuid, self.owner, self.token)
        finally:
            _unclaim(self.cluster_uuid)

    def fence(self, session: Session) -> None:
        """Make the session's transaction conditional on still holding the lease.

        The first statement of the transaction: it refuses at once when the renewal
        thread found the lease lost, and otherwise matches (and locks until commit)
        the cluster's row only while the lease is this owner's with this token.
        """
        if self.token is None:
            raise RuntimeError(f"Lease on cluster {self.cluster_uuid} used before acquire().")
        if not self.lost:
            table = models.Cluster
            stmt = (
                update(table)
                .where(_held_by(self.cluster_uuid, self.owner, self.token))
                .values(lease_token=table.lease_token, updated_at=table.updated_at)
            )
            if session.execute(stmt).rowcount:  # type: ignore[attr-defined]
                session.info[FENCED] = self.cluster_uuid
                return
            self._mark_lost("a write found it taken over")
        raise LeaseLost(
            f"Cluster {self.cluster_uuid}: the lease of {self.owner} was taken over; "
            "another conductor carries on."
        )

    def _mark_lost(self, how: str) -> None:
        if not self._lost.is_set():
            LOG.warning("Cluster %s: lease lost (%s); stopping", self.cluster_uuid, how)
        self._lost.set()

    def _keep(self) -> None:
        """Renew until released; mark the lease lost when that fails or cannot be known."""
        assert self.token is not None
        valid_until = time.monotonic() + self.seconds
        while not self._stop.wait(max(self.seconds / 3, 0.5)):
            try:
                renewed = _renew(self.cluster_uuid, self.owner, self.token, self.seconds)
            except Exception:  # the DB is away (ServiceUnavailable) or failing
                if time.monotonic() < valid_until:
                    continue  # try again before the lease runs out
                renewed = False
            if not renewed:
                self._mark_lost("renewal failed")
                return
            valid_until = time.monotonic() + self.seconds


@contextmanager
def fenced(lease: Lease) -> Iterator[Session]:
    """A transaction whose writes land only while ``lease`` is still held (else LeaseLost)."""
    with transaction() as session:
        lease.fence(session)
        yield session


def require_fence(session: Session, cluster_uuid: str) -> None:
    """Refuse a write on the cluster in a transaction its lease does not fence (a bug)."""
    if session.info.get(FENCED) != cluster_uuid:
        raise RuntimeError(f"Cluster {cluster_uuid}: write outside a fenced transaction.")
