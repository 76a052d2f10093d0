"""oslo.messaging, imported in one place.

The library pulls in eventlet, which warns about its own deprecation on import;
Moorage never uses eventlet (its servers use threads), so the warning is only
noise in every AMQP process's log and is silenced here, for this import alone.
"""

from __future__ import annotations

import warnings

from moorage import config

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging as messaging

__all__ = ["messaging", "prepare"]


def prepare() -> None:
    """Register the library's options with Moorage's defaults before it reads them."""
    config.register_messaging_opts()
