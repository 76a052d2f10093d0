"""Clients of Docker's API, and the one place their errors become ``DriverError``.

Two kinds of engine speak it: the host engine the ``docker`` provider runs nodes
on, and the engines inside swarm nodes, which are the Swarm COE's own API. Both
use these helpers; only the provider ever opens the host engine.

Every call made to an engine goes through :func:`call`, so that a
failure always names the call that failed and the engine's own message, which
is what an operator reads in ``status_reason``. Secrets that went into a call
(swarm join tokens) are scrubbed from that text and the original exception is
not chained, so they can reach neither a log nor the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import docker
import docker.errors
import requests

from moorage.exceptions import DriverError

T = TypeVar("T")

# The node engines are Debian's docker.io 20.10: pin the API version so that a
# client never probes the daemon in its constructor (that raises while dockerd is
# still starting) and never asks for more than 20.10 speaks.
NODE_API_VERSION = "1.41"

ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.RequestException,
    OSError,
)


@dataclass(frozen=True)
class TlsFiles:
    """Paths of a client's PEM files, as the Docker SDK wants them (it reads files only)."""

    ca: str
    cert: str
    key: str


def message(exc: BaseException) -> str:
    """The engine's own words for a failure, without the SDK's URL noise."""
    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode(errors="replace")
        return f"{exc.status_code}: {explanation or exc}"
    return str(exc) or type(exc).__name__


def reference(name: str) -> str:
    """``name`` with ``:latest`` when it has no tag (catalog names carry none)."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def call(
    what: str, fn: Callable[..., T], *args: object, secrets: Iterable[str] = (), **kwargs: object
) -> T:
    """Run one engine call; on failure raise ``DriverError("<what>: <engine message>")``."""
    hidden = [s for s in secrets if s]
    try:
        return fn(*args, **kwargs)
    except ENGINE_ERRORS as exc:
        text = scrub(f"{what}: {message(exc)}", hidden)
        if hidden:
            raise DriverError(text) from None
        raise DriverError(text) from exc


def call_unless_gone(what: str, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Like :func:`call` for removals: the object being gone already is success, which
    is what makes every removal safe to run again."""
    try:
        fn(*args, **kwargs)
    except docker.errors.NotFound:
        pass
    except ENGINE_ERRORS as exc:
        raise DriverError(f"{what}: {message(exc)}") from exc


def remote(base_url: str, tls: TlsFiles | None, timeout: float = 60) -> docker.DockerClient:
    """A client for a node's engine over TCP, with TLS when ``tls`` is given.

    ``trust_env`` is switched off: requests would otherwise replace the cluster CA
    with ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` and send node traffic to a proxy.
    """
    tls_config: docker.tls.TLSConfig | bool = False
    if tls is not None:
        tls_config = docker.tls.TLSConfig(
            client_cert=(tls.cert, tls.key), ca_cert=tls.ca, verify=True
        )
        base_url = base_url.replace("tcp://", "https://", 1)
    client = docker.DockerClient(
        base_url=base_url, tls=tls_config, timeout=int(timeout), version=NODE_API_VERSION
    )
    client.api.trust_env = False
    return client


def wait_for(
    what: str,
    check: Callable[[], T | None],
    timeout: float,
    interval: float = 0.2,
) -> T:
    """Poll ``check`` until it returns something other than None/False (never sleep blindly).

    The last engine error seen is kept for the timeout message, since "timed out"
    alone tells an operator nothing.
    """
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            result = check()
            if result is not None and result is not False:
                return result
        except DriverError as exc:
            last = str(exc)
        except ENGINE_ERRORS as exc:
            last = message(exc)
        if time.monotonic() >= deadline:
            suffix = f" (last error: {last})" if last else ""
            raise DriverError(f"{what}: timed out after {timeout:.0f}s{suffix}")
        time.sleep(interval)
