"""Copying an image from the host engine into node containers' own engines.

No registry is reachable, so a workload image travels as ``docker save`` output:
written once to a temporary file on the host, then put into each node container
and loaded there by the node's engine.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from collections.abc import Callable, Sequence

import docker
import docker.errors

from moorage import exceptions
from moorage.drivers.docker import engine
from moorage.exceptions import DriverError

INSIDE = "/tmp/moorage-image.tar"


def _save(host: docker.DockerClient, image: str, directory: str) -> str:
    try:
        found = host.images.get(image)
    except docker.errors.ImageNotFound:
        raise exceptions.Invalid(
            f"Image {image} is not on the conductor's Docker engine; build or load it there "
            "first (there is no registry to pull from)."
        ) from None
    saved = os.path.join(directory, "image.tar")
    with open(saved, "wb") as out:
        for chunk in engine.call(f"save image {image}", found.save, named=True):
            out.write(chunk)
    archive = os.path.join(directory, "archive.tar")
    with tarfile.open(archive, "w") as tar:
        tar.add(saved, arcname=os.path.basename(INSIDE))
    return archive


def load_into(
    host: docker.DockerClient, image: str, containers: Sequence[str], step: Callable[[str], None]
) -> None:
    """Load ``image`` into the engine inside each named container, one after the other."""
    with tempfile.TemporaryDirectory(prefix="moorage-image-") as directory:
        archive = _save(host, image, directory)
        for name in containers:
            step(f"loading {image} into {name}")
            container = engine.call(f"find node {name}", host.containers.get, name)
            with open(archive, "rb") as data:
                engine.call(f"copy {image} into {name}", container.put_archive, "/tmp", data)
            code, output = container.exec_run(["docker", "load", "-i", INSIDE])
            container.exec_run(["rm", "-f", INSIDE])
            if code != 0:
                raw = output if isinstance(output, bytes) else b"".join(output)
                text = raw.decode(errors="replace").strip()[-500:]
                raise DriverError(f"docker load of {image} in {name} failed ({code}): {text}")
