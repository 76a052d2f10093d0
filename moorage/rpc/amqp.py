"""The AMQP bus over oslo.messaging: the conductor API's client and the conductor's server.

Messages go to the topic ``[conductor] topic`` in the ``[DEFAULT]
control_exchange`` exchange (``magnum``), so any conductor may take any of them;
each server also listens on ``<topic>.<server id>`` like Magnum's. The request
context travels as ``RequestContext.to_dict()``. Typed errors raised in a call
come back as the same class (see ``moorage.rpc.errors``). A broker that is down
never makes the caller hang: sends retry ``[DEFAULT] rpc_send_retries`` times,
calls wait at most ``[DEFAULT] rpc_response_timeout`` seconds for the answer,
and both then raise ServiceUnavailable (HTTP 503).
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import kombu.exceptions

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.objects.requests import RPC_METHODS
from moorage.rpc import errors, probe
from moorage.rpc.library import messaging, prepare

LOG = logging.getLogger(__name__)

# The ConductorManager methods reachable over the bus (declared in objects.requests);
# nothing else of the manager (shutdown, its runner) may be called by a message.
CONDUCTOR_METHODS = RPC_METHODS

# What a broker that is down or refuses us raises, from the library or below it.
_BUS_ERRORS = (messaging.MessagingException, kombu.exceptions.KombuError, OSError)


def rpc_transport(url: str) -> Any:
    """An oslo.messaging RPC transport whose clients may rebuild Moorage's carried errors."""
    prepare()
    return messaging.get_rpc_transport(CONF, url=url, allowed_remote_exmods=[errors.MODULE])


@contextmanager
def _bus_errors(method: str, timeout: float) -> Iterator[None]:
    """Turn the bus's failures into ServiceUnavailable; a remote bug stays an error (500)."""
    try:
        yield
    except errors.CarriedError as carried:
        raise errors.rebuild(carried) from None
    except messaging.RemoteError:
        raise
    except messaging.MessagingTimeout as exc:
        raise exceptions.ServiceUnavailable(
            f"No conductor answered {method} within {timeout:g} seconds."
        ) from exc
    except _BUS_ERRORS as exc:
        LOG.warning("Message bus unavailable for %s: %s", method, exc)
        raise exceptions.ServiceUnavailable(f"The message bus is unreachable: {exc}") from exc


class AmqpTransport:
    """The client side: casts and calls to whichever conductor takes them."""

    def __init__(
        self,
        url: str,
        topic: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> None:
        self._url = url
        self._transport = rpc_transport(url)
        self.timeout = float(CONF.rpc_response_timeout if timeout is None else timeout)
        self.retries = CONF.rpc_send_retries if retries is None else retries
        self._client = messaging.get_rpc_client(
            self._transport,
            messaging.Target(topic=topic or CONF.conductor.topic),
            timeout=self.timeout,
            retry=self.retries,
        )
        # Set once a call got through: the reply listener exists from then on.
        self._listening = threading.Event()

    def cast(self, ctx: RequestContext, method: str, **kwargs: Any) -> None:
        with _bus_errors(method, self.timeout):
            self._client.cast(ctx.to_dict(), method, **kwargs)

    def call(self, ctx: RequestContext, method: str, **kwargs: Any) -> Any:
        if not self._listening.is_set():
            probe.check_reachable(self._url, self.retries)
        with _bus_errors(method, self.timeout):
            try:
                result = self._client.call(ctx.to_dict(), method, **kwargs)
            except (messaging.MessagingTimeout, messaging.RemoteError, errors.CarriedError):
                self._listening.set()  # the call got as far as waiting for its answer
                raise
            self._listening.set()
            return result

    def cleanup(self) -> None:
        self._transport.cleanup()


class ConductorEndpoint:
    """What the RPC server dispatches to: the listed methods of a conductor manager.

    Each takes the context as the dict the client sent and the call's keyword
    arguments; Moorage errors go back as CarriedError, marked as expected so the
    library does not log a refusal (a 404, a 400) as a server failure.
    """

    def __init__(self, manager: object, methods: Sequence[str] = CONDUCTOR_METHODS) -> None:
        self._manager = manager
        self._methods = frozenset(methods)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self._methods:
            raise AttributeError(name)
        return self._wrap(name, getattr(self._manager, name))

    @staticmethod
    def _wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @messaging.expected_exceptions(errors.CarriedError)
        def invoke(ctxt: dict[str, object], **kwargs: Any) -> Any:
            try:
                return method(RequestContext.from_dict(ctxt), **kwargs)
            except exceptions.MoorageError as exc:
                LOG.info("%s refused: %s: %s", name, type(exc).__name__, exc)
                raise errors.carry(exc) from exc

        return invoke


def server_id() -> str:
    """A random 12-character id for this server, as Magnum's conductors use."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12))


class RpcServer:
    """The server side: takes messages off the conductor topic and runs them in threads."""

    def __init__(
        self,
        manager: object,
        url: str,
        topic: str | None = None,
        methods: Sequence[str] = CONDUCTOR_METHODS,
    ) -> None:
        self.server_id = server_id()
        self._transport = rpc_transport(url)
        target = messaging.Target(topic=topic or CONF.conductor.topic, server=self.server_id)
        # No executor argument: the library picks threads when eventlet has not
        # patched the process (Moorage never patches), and the argument is deprecated.
        self._server = messaging.get_rpc_server(
            self._transport, target, [ConductorEndpoint(manager, methods)]
        )

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        """Stop taking messages, wait for those being handled, and close the connections."""
        self._server.stop()
        self._server.wait()
        self._transport.cleanup()
