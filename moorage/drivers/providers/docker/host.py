"""The host's Docker engine, which only the ``docker`` provider opens."""

from __future__ import annotations

import docker

from moorage.drivers.dockerapi import ENGINE_ERRORS, message
from moorage.exceptions import DriverError


def local() -> docker.DockerClient:
    """The host's engine (``DOCKER_HOST`` or the default socket)."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except ENGINE_ERRORS as exc:
        raise DriverError(
            f"connect to the local Docker engine: {message(exc)} "
            "(is dockerd running? scripts/setup-docker.sh starts it)"
        ) from exc
    return client
