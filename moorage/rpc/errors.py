"""Typed errors across the bus: a conductor's refusal reaches the API as the same class.

oslo.messaging can rebuild a remote exception of an allowed module, but it calls
the class with the original ``args`` (most Moorage errors take other arguments
than their message) and appends the remote traceback to the message, which
would then be shown to API users. So the conductor sends every Moorage error as
a ``CarriedError`` (class path and message, rebuilt by the library without
surprises) and the client turns it back into the original class with the
original message, so the API maps it to the right HTTP status.
"""

from __future__ import annotations

import importlib

from moorage import exceptions

# The only module whose exceptions the client lets oslo.messaging rebuild.
MODULE = __name__


class CarriedError(Exception):
    """A Moorage error on its way back from a conductor: its class path and message."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, message)
        self.path = path
        self.message = message


def carry(exc: exceptions.MoorageError) -> CarriedError:
    cls = type(exc)
    return CarriedError(f"{cls.__module__}.{cls.__qualname__}", str(exc))


def rebuild(carried: CarriedError) -> exceptions.MoorageError:
    """The original error, or a plain MoorageError (HTTP 500) if its class is not ours.

    Only classes below the ``moorage`` package that derive from MoorageError are
    looked up, so a message cannot make the API import arbitrary modules. The
    instance is made without calling the class's constructor (whose arguments
    differ from class to class) and carries exactly the remote message.
    """
    path, message = str(carried.args[0]), str(carried.args[1])
    module, _, name = path.rpartition(".")
    cls: object = None
    if module == "moorage" or module.startswith("moorage."):
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            cls = None
    if not (isinstance(cls, type) and issubclass(cls, exceptions.MoorageError)):
        return exceptions.MoorageError(message)
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    return error
