"""A bounded check that the message bus answers, before oslo.messaging may wait forever.

oslo.messaging bounds the reconnections of a send by ``retry``, but the
connection on which a client listens for replies, made by the first call, retries
without limit. The API must answer 503 instead of hanging while the broker is
down, so before its first call a client checks, with the same retry schedule as
sends, that it can log in to one of the broker's hosts.
"""

from __future__ import annotations

from urllib.parse import quote

import kombu

from moorage import exceptions
from moorage.config import CONF
from moorage.rpc.library import messaging

CONNECT_TIMEOUT = 5.0


def kombu_url(url: str) -> str:
    """The transport URL's hosts as kombu failover URLs (``amqp://...;amqp://...``)."""
    parsed = messaging.TransportURL.parse(CONF, url)
    vhost = quote(parsed.virtual_host or "", safe="")
    urls = []
    for host in parsed.hosts:
        name = f"[{host.hostname}]" if ":" in (host.hostname or "") else host.hostname
        auth = f"{quote(host.username or '', safe='')}:{quote(host.password or '', safe='')}@"
        urls.append(f"amqp://{auth}{name}:{host.port or 5672}/{vhost}")
    return ";".join(urls)


def check_reachable(url: str, retries: int) -> None:
    """Log in to the broker once, retrying like a send; ServiceUnavailable if it never answers."""
    rabbit = CONF.oslo_messaging_rabbit
    connection = kombu.Connection(
        kombu_url(url),
        ssl=bool(rabbit.ssl),
        login_method=rabbit.rabbit_login_method,
        connect_timeout=CONNECT_TIMEOUT,
    )
    try:
        connection.ensure_connection(
            max_retries=retries,
            interval_start=rabbit.rabbit_retry_interval,
            interval_step=rabbit.rabbit_retry_backoff,
            interval_max=rabbit.rabbit_interval_max,
        )
    except Exception as exc:  # kombu raises its own, amqp's and socket errors alike
        raise exceptions.ServiceUnavailable(f"The message bus is unreachable: {exc}") from exc
    finally:
        connection.release()
