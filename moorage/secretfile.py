"""Secrets generated on first use and kept in a file of their own (mode 0600)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable


def read_or_create(path: str, generate: Callable[[], bytes]) -> bytes:
    """The secret in ``path``, made by ``generate`` first when the file does not exist.

    Every process that races to make it ends up with the one that won.
    """
    if not os.path.exists(path):
        create_once(path, generate())
    with open(path, "rb") as handle:
        return handle.read().strip()


def create_once(path: str, secret: bytes) -> None:
    """Publish ``secret`` at ``path`` atomically; if another process wins the race, keep its.

    The secret is written in full to a private temporary file and then hard-linked into
    place: ``link`` fails if the name exists, so exactly one secret wins and no reader
    ever sees a half-written file (which an ``O_EXCL`` create followed by a write would
    allow).
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".secret-", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
