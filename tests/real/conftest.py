"""Fixtures for tests against real external processes.

The Docker engine is not skipped when missing: ``scripts/setup-docker.sh`` installs
and starts it (it is idempotent and returns at once when the engine answers), and
the node image is built once per session (cached: nothing is done when it exists).
"""

from __future__ import annotations

import pathlib
import subprocess
from collections.abc import Iterator

import docker
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def docker_host() -> Iterator[docker.DockerClient]:
    """The local Docker engine, started if needed."""
    subprocess.run(["bash", str(ROOT / "scripts" / "setup-docker.sh")], check=True)
    from moorage.drivers.providers.docker import host

    client = host.local()
    yield client
    client.close()


@pytest.fixture(scope="session")
def node_image(docker_host: docker.DockerClient) -> str:
    """The catalog's ``moorage-node`` image, built once (a few seconds, no network)."""
    from moorage.drivers.providers.docker import image

    return image.build(client=docker_host)


@pytest.fixture(scope="session")
def workload_image(docker_host: docker.DockerClient) -> str:
    """A 2 MB busybox image (sh, httpd) to run as a service on test clusters."""
    from moorage.drivers.providers.docker import image

    return image.build_busybox_image(client=docker_host)
