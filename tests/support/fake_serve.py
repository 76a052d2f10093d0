"""``moorage serve`` with the test driver registered: what subprocess tests run.

Usage: python -m tests.support.fake_serve --config-file FILE
"""

from __future__ import annotations

import sys

from moorage.cmd.serve import run
from moorage.drivers import registry
from tests.support import fake_driver

if __name__ == "__main__":
    registry.register(fake_driver.NAME, fake_driver.FakeDriver)
    run(sys.argv[1:])
