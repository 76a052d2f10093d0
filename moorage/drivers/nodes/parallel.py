"""Node work done on several nodes at once (joins, image loads, removals).

Bounded: a provider is one engine, and four calls at a time keep it busy
without queueing every node of a large cluster on it at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
WORKERS = 4


def parallel(fn: Callable[[T], Any], items: Iterable[T], workers: int = WORKERS) -> list[Any]:
    """``fn`` of each item, in order; the first error is raised once all have ended."""
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))
