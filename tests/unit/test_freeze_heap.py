"""Objects built before serving are frozen; garbage made before then is not kept."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from moorage.cmd import startup


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite's garbage stays collectable


def test_live_objects_are_frozen_and_garbage_collected_first(unfrozen: None) -> None:
    live = _Node()
    cycle_a, cycle_b = _Node(), _Node()
    cycle_a.other, cycle_b.other = cycle_b, cycle_a
    dead = weakref.ref(cycle_a)
    del cycle_a, cycle_b  # unreachable, but a cycle: only a collection frees it
    assert dead() is not None
    startup.freeze_heap()
    assert dead() is None
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(live)
    # Frozen: a full collection no longer looks at what was alive before serving.
    assert all(live is not obj for obj in gc.get_objects())
