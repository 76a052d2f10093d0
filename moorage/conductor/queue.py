"""A cluster's recorded requests, run one after another under its lease.

The API appends a request (``moorage.db.requests``) and casts a nudge. Whichever
conductor thread takes the cluster's lease runs the oldest unfinished request to
an end state, then the next, and gives the lease back only when none is left. A
nudge that finds the lease taken is dropped: the holder looks at the queue again
after giving the lease back, so a request recorded meanwhile is never left
behind; reconcile nudges clusters whose holder died (beyond Magnum, where a
second request could overwrite the first).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.conductor import operations, specs, states
from moorage.conductor.lease import Lease, LeaseHeld, LeaseLost, fenced
from moorage.conductor.operations import Begin, Recorded
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models, requests
from moorage.db.session import transaction
from moorage.notify import events
from moorage.objects.requests import Operation, RequestState
from moorage.objects.status import IllegalTransition, Status

LOG = logging.getLogger(__name__)

# Seconds a call waits for a lease being handed back after the last queued request.
HANDOVER_WAIT = 5.0

Handler = Callable[..., Begin]  # a request's arguments -> what begins it
Job = Callable[[], None]


# Errors that say nothing about the request: it stays unfinished for reconcile.
_NOT_REFUSALS = (exceptions.ServiceUnavailable, DBAPIError, LeaseLost)


class Busy(exceptions.Conflict):
    """A synchronous request arrived while earlier ones are not finished (409)."""


class RequestQueue:
    def __init__(
        self, owner: str, handlers: Mapping[str, Handler], submit: Callable[[Job], None]
    ) -> None:
        self.owner = owner
        self._handlers = handlers
        self._submit = submit
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Finish the running request, start no other: another conductor's reconcile will."""
        self._stopping.set()

    def lease(self, cluster_uuid: str) -> Lease:
        return Lease(cluster_uuid, self.owner, CONF.conductor.lease_time)

    def process(
        self, cluster_uuid: str, lease: Lease | None = None, work: Job | None = None
    ) -> None:
        """Run the cluster's unfinished requests, oldest first, unless someone else does.

        With ``lease`` (taken by the caller) it goes on at once, ``work`` first. A
        lease lost on the way stops everything: its new holder runs the queue.
        """
        while lease is not None or (lease := self._take(cluster_uuid)) is not None:
            try:
                if work is not None:
                    work()
                self._run_all(lease)
            except LeaseLost as exc:
                LOG.warning("%s", exc)
                return
            finally:
                lease.release()
            lease, work = None, None

    def give_back(self, lease: Lease) -> None:
        """Release a lease taken outside the queue; run what was recorded meanwhile."""
        lease.release()
        self._submit(lambda: self.process(lease.cluster_uuid))

    def enqueue(
        self, ctx: RequestContext, cluster_uuid: str, operation: Operation, **arguments: Any
    ) -> None:
        """Record a request the conductor itself makes (auto-healing), and run the queue."""
        with transaction() as session:
            requests.record(session, cluster_uuid, operation, arguments, ctx.to_dict())
        self.process(cluster_uuid)

    def call(
        self, ctx: RequestContext, cluster_uuid: str, operation: Operation, **arguments: Any
    ) -> None:
        """Begin a synchronous request now, or refuse it: 409 while others are unfinished.

        The caller waits for ``begin`` only (its refusal comes back as the caller's
        error); the driver work and whatever is recorded meanwhile go on in the
        background under the same lease.
        """
        lease = self._take_for_call(cluster_uuid)
        try:
            with fenced(lease) as session:
                operations.load(session, cluster_uuid)
                ahead = requests.unfinished(session, cluster_uuid)
                if ahead:
                    raise Busy(
                        f"Cluster {cluster_uuid} has {len(ahead)} earlier request(s) not "
                        "finished yet; try again once they are."
                    )
                row = requests.record(session, cluster_uuid, operation, arguments, ctx.to_dict())
                request = Recorded.of(row)
            work = self._start(request, lease, keep_refused=False)
        except BaseException:
            self.give_back(lease)  # at once: the caller may send its next request right away
            raise
        self._submit(lambda: self.process(cluster_uuid, lease, work))

    def _take_for_call(self, cluster_uuid: str) -> Lease:
        """The lease for a call; LeaseHeld (a 409) while requests are unfinished.

        With none left, a holder is only giving the lease back after the last one (a
        client saw the cluster settle a moment before): wait for that hand-over
        rather than refuse a request that nothing stands in the way of.
        """
        try:
            return self.lease(cluster_uuid).acquire()
        except LeaseHeld:
            with transaction() as session:
                if requests.unfinished(session, cluster_uuid):
                    raise
            return self.lease(cluster_uuid).acquire(wait=HANDOVER_WAIT)

    def _take(self, cluster_uuid: str) -> Lease | None:
        if self._stopping.is_set():
            return None
        with transaction() as session:
            if not requests.unfinished(session, cluster_uuid):
                return None
        try:
            return self.lease(cluster_uuid).acquire()
        except LeaseHeld:
            return None  # its holder looks at the queue again once it gives the lease back

    def _run_all(self, lease: Lease) -> None:
        while not self._stopping.is_set() and (request := _oldest(lease.cluster_uuid)) is not None:
            try:
                work = self._start(request, lease)
            except _NOT_REFUSALS:
                raise  # the database or the lease, not the request: reconcile runs it again
            except Exception:
                continue  # refused: recorded and notified
            if work is not None:
                work()

    def _start(self, request: Recorded, lease: Lease, *, keep_refused: bool = True) -> Job | None:
        """Begin ``request``; a refusal is logged, notified and raised.

        A refused request stays recorded as REFUSED, its end state; a refused call
        (``keep_refused=False``) leaves no trace: its caller got the error.
        """
        ctx = RequestContext.from_dict(request.context)
        try:
            handler = self._handlers.get(request.operation)
            if handler is None:
                raise exceptions.NotSupported(f"Unknown request {request.operation!r}.")
            return operations.start(ctx, request, handler(**request.arguments), lease)
        except _NOT_REFUSALS:
            raise
        except exceptions.AlreadyCarriedOut as exc:
            LOG.info("Cluster %s: %s dropped: %s", request.cluster_uuid, request.operation, exc)
            _end(request, lease, RequestState.COMPLETE, str(exc))
            return None
        except Exception as exc:
            reason = str(exc) or type(exc).__name__
            LOG.warning(
                "Cluster %s: %s refused: %s", request.cluster_uuid, request.operation, reason
            )
            _end(request, lease, RequestState.REFUSED if keep_refused else None, reason)
            data = {"uuid": request.cluster_uuid, "status_reason": reason}
            events.emit(ctx, _action(request.operation), "failure", data)
            raise


def _oldest(cluster_uuid: str) -> Recorded | None:
    with transaction() as session:
        rows = requests.unfinished(session, cluster_uuid)
        return Recorded.of(rows[0]) if rows else None


def _end(request: Recorded, lease: Lease, state: RequestState | None, reason: str) -> None:
    """Record how the request ended; ``None`` forgets it."""
    with fenced(lease) as session:
        if state is None:
            requests.forget(session, request.id)
        else:
            requests.set_state(session, request.id, state, reason)
        if state == RequestState.REFUSED:
            _show_refusal(session, request, reason)


# A create or delete the API answered 202/204 for and the conductor refuses for good:
# the cluster must say so (it began and failed), or it reads as a request still to come.
_REFUSED_BEGINS: dict[str, Status] = {
    Operation.CLUSTER_CREATE: Status.CREATE_IN_PROGRESS,
    Operation.CLUSTER_DELETE: Status.DELETE_IN_PROGRESS,
}


def _show_refusal(session: Session, request: Recorded, reason: str) -> None:
    status = _REFUSED_BEGINS.get(request.operation)
    cluster = session.scalar(
        select(models.Cluster).where(models.Cluster.uuid == request.cluster_uuid)
    )
    if status is None or cluster is None:
        return
    groups = [g.uuid for g in specs.nodegroups_of(session, cluster.uuid)]
    try:
        states.begin(session, cluster, status, groups)
    except IllegalTransition:
        return  # e.g. a create refused because the cluster is past it: nothing to show
    states.finish(session, cluster, groups, success=False, reason=reason)


def _action(operation: str) -> str:
    """The notification action of an operation (Magnum's: create, update or delete)."""
    actions: dict[str, str] = {
        Operation.CLUSTER_CREATE: "create",
        Operation.CLUSTER_DELETE: "delete",
    }
    return actions.get(operation, "update")
