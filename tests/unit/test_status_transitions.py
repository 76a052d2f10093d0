"""The status transition table, enumerated: every pair of statuses is either in it or refused."""

from __future__ import annotations

import pytest

from moorage.objects.status import (
    FAILED,
    IN_PROGRESS,
    RESIZE_ALLOWED,
    TRANSITIONS,
    UPDATE_ALLOWED,
    IllegalTransition,
    Status,
    check,
    outcome,
)

FROM: list[Status | None] = [None, *Status]
ALLOWED = [(a, b) for a in FROM for b in Status if b in TRANSITIONS[a]]
REFUSED = [(a, b) for a in FROM for b in Status if b not in TRANSITIONS[a]]

# The table written out by hand from Magnum's state machine (shared/spec/behaviour.md
# §3.2): what a reviewer compares with the spec, and what the rules must produce.
RESTING = [s for s in Status if s not in IN_PROGRESS and s != Status.DELETE_COMPLETE]
EXPECTED = {
    (None, Status.CREATE_IN_PROGRESS),  # the API inserts a new cluster or node group so
    *[(p, p) for p in IN_PROGRESS],  # a resumed request begins its operation again
    (Status.CREATE_IN_PROGRESS, Status.CREATE_COMPLETE),
    (Status.CREATE_IN_PROGRESS, Status.CREATE_FAILED),
    (Status.UPDATE_IN_PROGRESS, Status.UPDATE_COMPLETE),
    (Status.UPDATE_IN_PROGRESS, Status.UPDATE_FAILED),
    (Status.DELETE_IN_PROGRESS, Status.DELETE_COMPLETE),
    (Status.DELETE_IN_PROGRESS, Status.DELETE_FAILED),
    (Status.ROLLBACK_IN_PROGRESS, Status.ROLLBACK_COMPLETE),
    (Status.ROLLBACK_IN_PROGRESS, Status.ROLLBACK_FAILED),
    *[(s, Status.DELETE_IN_PROGRESS) for s in Status if s != Status.DELETE_COMPLETE],
    *[(s, Status.UPDATE_IN_PROGRESS) for s in RESTING],
}


def test_the_table_is_magnums_state_machine() -> None:
    assert set(ALLOWED) == EXPECTED
    assert set(TRANSITIONS) == set(FROM)


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_every_allowed_transition_is_accepted(current: Status | None, new: Status) -> None:
    check(None if current is None else str(current), new)  # as read from the database


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_every_other_pair_is_refused(current: Status | None, new: Status) -> None:
    with pytest.raises(IllegalTransition, match=f"cannot become {new}"):
        check(current, new)


def test_an_unknown_stored_status_moves_nowhere() -> None:
    for new in Status:
        with pytest.raises(IllegalTransition):
            check("SOMETHING_ELSE", new)


@pytest.mark.parametrize("current", sorted(IN_PROGRESS))
def test_an_operation_ends_in_its_own_complete_or_failed_state(current: Status) -> None:
    action = current.removesuffix("_IN_PROGRESS")
    assert outcome(current, True) == f"{action}_COMPLETE"
    assert outcome(current, False) == f"{action}_FAILED"
    assert outcome(current, False) in FAILED
    assert {outcome(current, True), outcome(current, False)} <= TRANSITIONS[current]


@pytest.mark.parametrize("current", sorted(RESIZE_ALLOWED | UPDATE_ALLOWED))
def test_an_update_may_begin_from_every_state_magnum_lets_it(current: Status) -> None:
    check(current, Status.UPDATE_IN_PROGRESS)
