"""Operations as declared lists of named steps (Gardener's tasks, kind's actions).

A driver operation declares its steps in order and hands them to ``run``; whoever
runs the operation decides what a step costs: the conductor's runner records each
one (name, index, total, start, end, outcome) in the database, skips the steps a
resumed request already finished where that is safe, and stops at the deadline
(``create_timeout``). Outside the conductor (a driver tested on its own) the steps
simply run in order, each announced to ``progress.step`` as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Step:
    """One named step. ``resumable``: a resumed operation may start here, trusting that
    the steps before it (recorded as done) left what it needs; False makes a resume
    that stopped at this step start again from the first step."""

    name: str
    run: Callable[[], object]
    resumable: bool = True


class Progress(Protocol):
    def step(self, name: str) -> None:
        """Record that the named step (or, inside a declared step, a detail) starts."""


@runtime_checkable
class StepRunner(Protocol):
    """A ``Progress`` that runs declared steps itself (the conductor's)."""

    def step(self, name: str) -> None: ...

    def run_steps(self, steps: Sequence[Step]) -> None: ...

    def deadline(self) -> float | None:
        """``time.monotonic()`` by which the operation must end; None: no limit."""


def run(progress: Progress, steps: Sequence[Step]) -> None:
    """Run ``steps`` in order, through the progress's runner when it has one."""
    if isinstance(progress, StepRunner):
        progress.run_steps(steps)
        return
    for step in steps:
        progress.step(step.name)
        step.run()


def time_left(progress: Progress, wait: float) -> float:
    """How long a wait inside a step may last: ``wait``, or less when the deadline is nearer.

    Never below one second, so a wait past the deadline still looks once and fails
    with its own message (the runner then names the step that ran out of time).
    """
    if not isinstance(progress, StepRunner):
        return wait
    deadline = progress.deadline()
    if deadline is None:
        return wait
    return max(1.0, min(wait, deadline - time.monotonic()))
