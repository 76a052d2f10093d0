"""A memcached of its own on a free loopback port (Debian's ``memcached``, installed by
``scripts/setup-services.sh``), for keystonemiddleware's shared token cache."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.live import free_port


@contextmanager
def memcached() -> Iterator[str]:
    """Start memcached and yield its ``host:port``; stop it after."""
    binary = shutil.which("memcached")
    assert binary, "memcached is missing: run scripts/setup-services.sh"
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []  # it refuses to run as root
    proc = subprocess.Popen([binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", *user])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "memcached exited"
                assert time.monotonic() < deadline, "memcached did not start"
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
