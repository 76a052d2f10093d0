"""Makes the test driver installed, the way an operator installs one: an entry point.

``entry_points/`` holds the metadata of a distribution that declares
``fake_test_driver`` in the ``moorage.drivers`` group; putting it on ``sys.path``
is all it takes, in this process and in the subprocesses tests start.
"""

from __future__ import annotations

import sys
from pathlib import Path

ENTRY_POINTS = str(Path(__file__).parent / "entry_points")


def install() -> None:
    if ENTRY_POINTS not in sys.path:
        sys.path.append(ENTRY_POINTS)
