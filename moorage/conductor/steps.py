"""The step runner: what the conductor does with a driver operation's declared steps.

Each step is recorded in ``cluster_event`` (name, index, total, start, end,
outcome) and announced in ``status_reason`` as ``step i/n: name``, so a person
sees where the operation is and the history survives it. A resumed request
(its conductor died) starts again at its first unfinished step when that step
says it is safe to, and from the first step otherwise. The deadline
(``create_timeout``) is checked between steps and offered to the waits inside
one; a step already running is never killed, but the operation then fails
naming it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.conductor import states
from moorage.conductor.lease import Lease, fenced
from moorage.db import events, models
from moorage.db.session import transaction
from moorage.drivers.steps import Step

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """When the operation must end (``time.monotonic()``), and the option's minutes."""

    deadline: float
    minutes: int


class StepRecorder:
    """The ``Progress`` (and ``StepRunner``) a conductor hands to a driver operation."""

    def __init__(
        self,
        lease: Lease,
        request_id: int,
        operation: str,
        resumed: bool,
        limit: Limit | None = None,
    ) -> None:
        self.lease = lease
        self.cluster_uuid = lease.cluster_uuid
        self.request_id = request_id
        self.operation = operation
        self.resumed = resumed
        self.limit = limit
        self._current: str | None = None  # "step i/n: name" while a declared step runs

    def deadline(self) -> float | None:
        return None if self.limit is None else self.limit.deadline

    def step(self, name: str) -> None:
        """A step of a driver that declares none, or a detail of the running step."""
        self._reason(f"{self._current}: {name}" if self._current else name)

    def run_steps(self, steps: Sequence[Step]) -> None:
        if self._current is not None:  # a list inside a running step: its details
            for step in steps:
                self.step(step.name)
                step.run()
            return
        first = self._resume_at(steps)
        previous: str | None = None
        for index, step in enumerate(steps, 1):
            label = f"step {index}/{len(steps)}: {step.name}"
            if index < first:
                self._skip(step, index, len(steps))
                continue
            # Out of time between steps: the one that was running when it ran out failed.
            self._check_time(previous or label)
            self._run(step, index, len(steps), label)
            previous = label

    def _resume_at(self, steps: Sequence[Step]) -> int:
        """The index to start at: the first unfinished step, if it is safe to start there."""
        if not self.resumed:
            return 1
        with transaction() as session:
            done = events.done(session, self.request_id)
        for index, step in enumerate(steps, 1):
            if (index, step.name) not in done:
                return index if step.resumable else 1
        return 1  # every step done, yet the request unfinished: run it all again

    def _run(self, step: Step, index: int, total: int, label: str) -> None:
        with fenced(self.lease) as session:
            event = self._begin(session, step, index, total)
            self._write_reason(session, label)
        self._current = label
        try:
            step.run()
        except Exception as exc:
            self._end(event, events.FAILURE, str(exc) or type(exc).__name__)
            self._check_time(label, exc)
            raise
        finally:
            self._current = None
        self._end(event, events.SUCCESS)

    def _skip(self, step: Step, index: int, total: int) -> None:
        with fenced(self.lease) as session:
            event = self._begin(session, step, index, total)
            events.end(session, event, events.SKIPPED, "done before the operation was resumed")

    def _begin(self, session: Session, step: Step, index: int, total: int) -> int:
        return events.begin(
            session, self.cluster_uuid, self.request_id, self.operation, step.name, index, total
        )

    def _end(self, event: int, outcome: str, message: str | None = None) -> None:
        with fenced(self.lease) as session:
            events.end(session, event, outcome, message)

    def _check_time(self, label: str, cause: Exception | None = None) -> None:
        """Past the deadline: fail naming ``label``, the step that was running."""
        if self.limit is None or time.monotonic() < self.limit.deadline:
            return
        LOG.warning("Cluster %s: out of time during %s", self.cluster_uuid, label)
        text = None if cause is None else str(cause)
        raise exceptions.OperationTimedOut(self.limit.minutes, label, text) from cause

    def _reason(self, text: str) -> None:
        with fenced(self.lease) as session:
            self._write_reason(session, text)

    def _write_reason(self, session: Session, text: str) -> None:
        cluster = session.scalar(
            select(models.Cluster).where(models.Cluster.uuid == self.cluster_uuid)
        )
        if cluster is not None:
            states.note(session, cluster, text)
