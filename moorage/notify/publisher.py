"""Where cluster notifications go: the log (default) or oslo.messaging's Notifier.

``[oslo_messaging_notifications] driver`` chooses, as in Magnum: unset keeps the
log (Moorage's default, so ``moorage serve`` needs no bus); ``messagingv2`` (or
any other oslo.messaging driver) sends through the library's Notifier on the
notifications transport (``[oslo_messaging_notifications] transport_url``,
else ``[DEFAULT] transport_url``) with publisher ``container-infra.<host>``.
The publisher is made on first use, so every process that emits gets the one
its configuration asks for without wiring.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

from moorage.config import CONF
from moorage.context import RequestContext

LOG = logging.getLogger("moorage.notifications")


class Publisher(Protocol):
    def publish(
        self, ctx: RequestContext, priority: str, event_type: str, payload: dict[str, Any]
    ) -> None:
        """Send one notification; never raise (an event is not worth failing an operation)."""


def publisher_id() -> str:
    return f"container-infra.{CONF.host}"


class LogPublisher:
    """One short line per event at INFO; the whole document (kilobytes: the cluster
    with every field) at DEBUG, for whoever needs what a bus would have carried."""

    def publish(
        self, ctx: RequestContext, priority: str, event_type: str, payload: dict[str, Any]
    ) -> None:
        target: dict[str, Any] = payload.get("target") or {}
        attachments: list[dict[str, Any]] = target.get("attachments") or [{}]
        cluster: dict[str, Any] = attachments[0].get("content") or {}
        LOG.info(
            "%s %s outcome=%s cluster=%s (%s) status=%s",
            priority,
            event_type,
            payload.get("outcome"),
            target.get("id"),
            target.get("name"),
            cluster.get("status"),
        )
        LOG.debug(
            "%s publisher=%s %s", event_type, publisher_id(), json.dumps(payload, default=str)
        )


class MessagingPublisher:
    """oslo.messaging's Notifier, with the drivers and topics of the configuration.

    The library catches and logs a failed send itself; ``[oslo_messaging_notifications]
    retry`` (3 by default here, not the library's forever) bounds how long a
    conductor operation can wait for a broker that is down.
    """

    def __init__(self) -> None:
        from moorage.rpc.library import messaging, prepare

        prepare()
        self._transport = messaging.get_notification_transport(CONF)
        self._notifier = messaging.Notifier(self._transport, publisher_id=publisher_id())

    def publish(
        self, ctx: RequestContext, priority: str, event_type: str, payload: dict[str, Any]
    ) -> None:
        send = getattr(self._notifier, priority.lower())
        send(ctx.to_dict(), event_type, json.loads(json.dumps(payload, default=str)))

    def cleanup(self) -> None:
        self._transport.cleanup()


_lock = threading.Lock()
_current: Publisher | None = None


def configured() -> Publisher:
    """The publisher the configuration asks for (see the module's docstring)."""
    from moorage.rpc.library import prepare

    prepare()
    settings = CONF.oslo_messaging_notifications
    if not settings.driver:
        return LogPublisher()
    if not (settings.transport_url or CONF.transport_url):
        LOG.error(
            "[oslo_messaging_notifications] driver is %s but no transport_url is set; "
            "notifications go to the log",
            ",".join(settings.driver),
        )
        return LogPublisher()
    return MessagingPublisher()


def current() -> Publisher:
    global _current
    with _lock:
        if _current is None:
            _current = configured()
        return _current


def set_publisher(publisher: Publisher | None) -> None:
    """Replace the publisher (tests, or a process that builds its own); None: choose again."""
    global _current
    with _lock:
        _current = publisher
