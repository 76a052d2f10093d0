"""``moorage serve`` with the test driver installed: what subprocess tests run.

Usage: python -m tests.support.fake_serve --config-file FILE
"""

from __future__ import annotations

import sys

from moorage.cmd.serve import run
from tests.support import drivers

if __name__ == "__main__":
    drivers.install()
    run(sys.argv[1:])
