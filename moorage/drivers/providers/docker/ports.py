"""Host ports for node APIs, never the same port for two clusters.

A cluster's ``api_address`` (``tcp://127.0.0.1:<port>``) is written to the
database, so its port must stay the cluster's own for the cluster's life, also
while its manager container is replaced (upgrade) or stopped. Letting the engine
pick an ephemeral port gives neither, so ports are taken from a range of their
own: a port is taken while any container (running or not) carries it in its
``moorage.host_port`` label or while anything on the host listens on it.

Allocation and the container create that records the port happen under one lock,
a thread lock plus a file lock, so that conductors in other threads and other
processes of the same host never get the same port.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import threading
from collections.abc import Iterator

import docker

from moorage import config
from moorage.drivers import dockerapi
from moorage.drivers.providers.docker.labels import HOST_PORT
from moorage.exceptions import DriverError

# Below Linux's default ephemeral range (32768-60999), so the kernel never hands
# one of these to an outgoing connection.
PORT_RANGE = range(23760, 24760)

_thread_lock = threading.Lock()


def _labelled_ports(client: docker.DockerClient) -> set[int]:
    containers = dockerapi.call(
        "list containers with host ports",
        client.containers.list,
        all=True,
        filters={"label": HOST_PORT},
        sparse=True,
    )
    ports = set()
    for container in containers:
        value = (container.attrs.get("Labels") or {}).get(HOST_PORT, "")
        if value.isdigit():
            ports.add(int(value))
    return ports


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Allocator:
    """Hands out free ports; valid only inside :func:`allocation`."""

    def __init__(self, taken: set[int]) -> None:
        self._taken = taken

    def take(self) -> int:
        for port in PORT_RANGE:
            if port not in self._taken and _bindable(port):
                self._taken.add(port)
                return port
        raise DriverError(
            f"allocate a host port: every port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1} is "
            "taken, by other clusters' managers or by other processes listening on the host "
            "(delete unused clusters or free ports in that range)"
        )


@contextlib.contextmanager
def allocation(client: docker.DockerClient) -> Iterator[Allocator]:
    """Hold the host-wide port lock; create the containers that use the ports inside it."""
    with _thread_lock, open(config.state_path("docker-ports.lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield Allocator(_labelled_ports(client))
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
