"""``moorage-conductor`` (or ``moorage-api``) with the test driver installed.

What distributed tests run. The conductor needs the driver to run operations;
the API needs it too, because writing a template checks that a driver provides
its (server_type, os, coe). With ``--api`` this runs ``moorage-api`` instead,
which must then have ``[api] workers = 1`` (uvicorn's extra worker processes
start afresh and would not have the test driver).

``MOORAGE_FAKE_DRIVER_DELAY`` (seconds per driver step) slows the driver down,
so a test can act while an operation runs.

Usage: python -m tests.support.fake_conductor [--api] --config-file FILE
"""

from __future__ import annotations

import os
import sys

from moorage.cmd import api, conductor
from tests.support import drivers, fake_driver

DELAY_ENV = "MOORAGE_FAKE_DRIVER_DELAY"

if __name__ == "__main__":
    drivers.install()
    if DELAY_ENV in os.environ:
        fake_driver.FakeDriver.delay = float(os.environ[DELAY_ENV])
    args = sys.argv[1:]
    if args[:1] == ["--api"]:
        api.main(args[1:])
    else:
        conductor.main(args)
