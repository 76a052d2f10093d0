"""The node image, built locally (there is no registry), and moving images into nodes.

``build_node_image`` is a one-time setup step (``moorage image build``), cached:
it does nothing when the image exists. The name matches the catalog's default
image ``moorage-node``. Drivers only check that the image is there
(``node_image_exists``) and fail a cluster with a clear reason otherwise.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from moorage.drivers import dockerapi
from moorage.drivers.dockerapi import reference
from moorage.drivers.providers.docker import debootstrap, host, rootfs
from moorage.exceptions import DriverError

NODE_IMAGE = "moorage-node:latest"
BUSYBOX_IMAGE = "moorage-busybox:latest"
METHODS: dict[str, Callable[[Path], None]] = {
    "hostbin": rootfs.hostbin_root,
    "debootstrap": debootstrap.debootstrap_root,
}
_NODE_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'ENTRYPOINT ["/usr/bin/tini-static", "-g", "--", "/usr/local/bin/node-entrypoint"]',
    'CMD ["--host=unix:///var/run/docker.sock"]',
    'VOLUME ["/var/lib/docker"]',
]


def exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(reference(ref))
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:
        raise DriverError(f"inspect image {ref}: {dockerapi.message(exc)}") from exc
    return True


def _import(client: docker.DockerClient, root: Path, tag: str, changes: list[str]) -> str:
    """Pack ``root`` and import it as ``tag`` (import, not build: no base image needed)."""
    with tempfile.NamedTemporaryFile(suffix=".tar") as tar:
        subprocess.run(
            ["tar", "-C", str(root), "--numeric-owner", "-cf", tar.name, "."],
            check=True,
            capture_output=True,
        )
        repo, _, version = reference(tag).rpartition(":")
        dockerapi.call(
            f"import image {tag}",
            client.api.import_image_from_file,
            tar.name,
            repository=repo,
            tag=version,
            changes=changes,
        )
    image = dockerapi.call(f"inspect image {tag}", client.images.get, reference(tag))
    return str(image.id)


def _build(
    client: docker.DockerClient, tag: str, make_root: Callable[[Path], None], changes: list[str]
) -> str:
    with tempfile.TemporaryDirectory(prefix="moorage-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        root.mkdir()
        make_root(root)
        return _import(client, root, tag, changes)


def build(
    tag: str = NODE_IMAGE,
    method: str = "hostbin",
    force: bool = False,
    client: docker.DockerClient | None = None,
) -> str:
    """Build the node image unless it exists; returns the image reference."""
    if method not in METHODS:
        raise DriverError(
            f"build the node image: unknown method {method!r} (use {sorted(METHODS)})"
        )
    client = client or host.local()
    if force or not exists(client, tag):
        changes = [*_NODE_CHANGES, f"LABEL moorage.node-image.method={method}"]
        _build(client, tag, METHODS[method], changes)
    return reference(tag)


def build_node_image(method: str = "hostbin", force: bool = False) -> str:
    """Entry for ``moorage image build``: the catalog's ``moorage-node`` image."""
    return build(NODE_IMAGE, method=method, force=force)


def node_image_exists(tag: str = NODE_IMAGE) -> bool:
    return exists(host.local(), tag)


def build_busybox_image(tag: str = BUSYBOX_IMAGE, client: docker.DockerClient | None = None) -> str:
    """A 2 MB busybox image (sh, httpd, nc) for workloads on clusters with no registry."""
    client = client or host.local()
    if not exists(client, tag):
        _build(client, tag, rootfs.busybox_root, ['CMD ["sh"]'])
    return reference(tag)


def archive(client: docker.DockerClient, ref: str) -> bytes:
    """The image as a ``docker save`` archive."""
    ref = reference(ref)
    image = dockerapi.call(f"inspect image {ref}", client.images.get, ref)
    return b"".join(dockerapi.call(f"save image {ref}", image.save, named=True))


def copy_image(source: docker.DockerClient, target: docker.DockerClient, ref: str) -> None:
    """Load an image of one engine into another (a node has no registry to pull from)."""
    blob = archive(source, ref)
    dockerapi.call(f"load image {reference(ref)} into node", target.images.load, blob)
