"""Cluster and node group statuses, the transitions between them, and which
operations each allows.

The values are Magnum's (they mirror Heat's stack states). Moorage moves a
cluster or node group only along ``TRANSITIONS``; ``check`` is asked by the one
function that writes a status (``moorage.conductor.states``), so a move the
table lacks is a bug that raises instead of reaching the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from moorage import exceptions


class Status(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_FAILED = "CREATE_FAILED"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_FAILED = "DELETE_FAILED"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    RESUME_COMPLETE = "RESUME_COMPLETE"
    RESUME_FAILED = "RESUME_FAILED"
    RESTORE_COMPLETE = "RESTORE_COMPLETE"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
    SNAPSHOT_COMPLETE = "SNAPSHOT_COMPLETE"
    CHECK_COMPLETE = "CHECK_COMPLETE"
    ADOPT_COMPLETE = "ADOPT_COMPLETE"


class Health(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


FAILED = frozenset(
    {
        Status.CREATE_FAILED,
        Status.UPDATE_FAILED,
        Status.DELETE_FAILED,
        Status.ROLLBACK_FAILED,
        Status.RESUME_FAILED,
    }
)
IN_PROGRESS = frozenset(
    {
        Status.CREATE_IN_PROGRESS,
        Status.UPDATE_IN_PROGRESS,
        Status.DELETE_IN_PROGRESS,
        Status.ROLLBACK_IN_PROGRESS,
    }
)
UPDATE_ALLOWED = frozenset(
    {
        Status.CREATE_COMPLETE,
        Status.UPDATE_COMPLETE,
        Status.RESUME_COMPLETE,
        Status.RESTORE_COMPLETE,
        Status.ROLLBACK_COMPLETE,
        Status.SNAPSHOT_COMPLETE,
        Status.CHECK_COMPLETE,
        Status.ADOPT_COMPLETE,
    }
)
RESIZE_ALLOWED = UPDATE_ALLOWED | {Status.UPDATE_FAILED, Status.UPDATE_IN_PROGRESS}
CREDENTIAL_ROTATE_ALLOWED = RESIZE_ALLOWED


# What a failed or completed operation leaves behind, by the state it was in.
_OUTCOMES: Mapping[Status, tuple[Status, Status]] = {
    Status.CREATE_IN_PROGRESS: (Status.CREATE_COMPLETE, Status.CREATE_FAILED),
    Status.UPDATE_IN_PROGRESS: (Status.UPDATE_COMPLETE, Status.UPDATE_FAILED),
    Status.DELETE_IN_PROGRESS: (Status.DELETE_COMPLETE, Status.DELETE_FAILED),
    Status.ROLLBACK_IN_PROGRESS: (Status.ROLLBACK_COMPLETE, Status.ROLLBACK_FAILED),
}
# Statuses no operation is running in; a row that is gone (DELETE_COMPLETE) is not one.
_RESTING = frozenset(Status) - IN_PROGRESS - {Status.DELETE_COMPLETE}


def _transitions() -> dict[str | None, frozenset[Status]]:
    """Built from the rules, so that the table cannot drift from them.

    - a new row starts CREATE_IN_PROGRESS (the API inserts it so);
    - an operation in progress ends in its own COMPLETE or FAILED state, or is begun
      again (a resumed request finds its own state), or deleted (Magnum's delete has
      no precondition);
    - from rest, an update (resize, upgrade, heal, node group work, CA rotation) or a
      delete begins; which resting states a given operation accepts is checked
      before, with Magnum's messages (``UPDATE_ALLOWED`` and the like);
    - ROLLBACK_* and the Heat-only states (RESUME_*, RESTORE_, SNAPSHOT_, CHECK_,
      ADOPT_COMPLETE) are never entered by Moorage, only left (rows from Magnum).
    """
    table: dict[str | None, frozenset[Status]] = {None: frozenset({Status.CREATE_IN_PROGRESS})}
    for progress, ends in _OUTCOMES.items():
        table[progress] = frozenset({progress, *ends, Status.DELETE_IN_PROGRESS})
    for resting in _RESTING:
        table[resting] = frozenset({Status.UPDATE_IN_PROGRESS, Status.DELETE_IN_PROGRESS})
    table[Status.DELETE_COMPLETE] = frozenset()
    return table


TRANSITIONS: Mapping[str | None, frozenset[Status]] = _transitions()


class IllegalTransition(exceptions.Conflict):
    """A status move the table does not allow (a bug, refused before it is written)."""


def check(current: str | None, new: Status) -> None:
    """Raise unless ``current`` may become ``new``."""
    if new not in TRANSITIONS.get(current, frozenset()):  # a StrEnum key is its string
        raise IllegalTransition(f"Status {current} cannot become {new}.")


def outcome(current: str, success: bool) -> Status:
    """The COMPLETE or FAILED state an operation in ``current`` ends in."""
    complete, failed = _OUTCOMES[Status(current)]
    return complete if success else failed
