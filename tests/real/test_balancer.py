"""The API servers' load balancer (``balancer/main.go``) on its own, built with Go and
run on the host in front of real TLS servers that stand in for API servers: each new
connection goes, TLS untouched, to a backend whose ``/readyz`` answers 200; one that
stops answering or dies gets none; the backends file is re-read while it runs.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from moorage.certs.authority import KeyPair, generate_ca, issue_server_cert
from moorage.drivers.providers.docker.kubernetes import stages
from tests.real.test_swarm_service import eventually

pytestmark = pytest.mark.real
GO = os.environ.get("GO", "/usr/local/go/bin/go")
GO_CACHE = Path("/var/cache/moorage/go/build")


class Backend:
    """A TLS server answering ``/readyz`` with ``status`` and ``/`` with its name."""

    def __init__(self, name: str, cert: KeyPair, directory: Path) -> None:
        self.name, self.status = name, 200
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (b"ok" if self.path == "/readyz" else backend.name.encode()) + b"\n"
                self.send_response(backend.status if self.path == "/readyz" else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        (directory / f"{name}.crt").write_text(cert.cert_pem)
        (directory / f"{name}.key").write_text(cert.key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / f"{name}.crt", directory / f"{name}.key")
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


Setup = tuple[int, Path, dict[str, Backend], str]  # port, backends file, backends, CA file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("balancer") / "moorage-lb"
    cache = GO_CACHE if GO_CACHE.is_dir() else Path(tempfile.mkdtemp())
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOCACHE": str(cache)}
    source = stages.package_dir() / "balancer" / "main.go"
    built = subprocess.run(
        [GO, "build", "-o", str(out), str(source)], env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture
def setup(binary: Path, tmp_path: Path) -> Iterator[Setup]:
    ca = generate_ca("balancer-test")
    backends = {
        name: Backend(name, issue_server_cert(ca, name, ips=["127.0.0.1"]), tmp_path)
        for name in ("a", "b")
    }
    listing = tmp_path / "backends"
    listing.write_text("".join(f"{b.address}\n" for b in backends.values()))
    port = free_port()
    proc = subprocess.Popen(
        [binary, "-listen", f"127.0.0.1:{port}", "-backends", str(listing), "-interval", "200ms"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (tmp_path / "ca.crt").write_text(ca.cert_pem)
    try:
        yield port, listing, backends, str(tmp_path / "ca.crt")
    finally:
        proc.kill()
        proc.wait()
        for backend in backends.values():
            backend.stop()


def answers(port: int, ca_file: str, count: int = 8) -> set[str]:
    """Who answers ``count`` new connections, each verified against the test CA (the
    certificate is the backend's own: the balancer does not terminate TLS)."""
    context = ssl.create_default_context(cafile=ca_file)
    found = set()
    for _ in range(count):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
        try:
            conn.request("GET", "/")
            found.add(conn.getresponse().read().decode().strip())
        finally:
            conn.close()
    return found


def test_connections_spread_over_the_healthy_backends_only(setup: Setup) -> None:
    port, _listing, backends, ca_file = setup
    assert eventually(lambda: answers(port, ca_file) == {"a", "b"}, timeout=20, what="both")
    backends["a"].status = 500  # not ready: no new connection for it
    assert eventually(lambda: answers(port, ca_file) == {"b"}, timeout=20, what="b only")
    backends["a"].status = 200
    backends["b"].stop()  # gone altogether
    assert eventually(lambda: answers(port, ca_file) == {"a"}, timeout=20, what="a only")


def test_the_backends_file_is_read_again_while_it_runs(setup: Setup) -> None:
    port, listing, backends, ca_file = setup
    assert eventually(lambda: answers(port, ca_file) == {"a", "b"}, timeout=20, what="both")
    listing.write_text(f"# a master replaced\n{backends['b'].address}\n")
    assert eventually(lambda: answers(port, ca_file) == {"b"}, timeout=20, what="b only")


def test_with_no_backend_left_a_connection_is_closed(setup: Setup) -> None:
    port, listing, _backends, ca_file = setup
    listing.write_text("")
    eventually(lambda: not _serves(port, ca_file), timeout=20, what="nothing served")


def _serves(port: int, ca_file: str) -> bool:
    try:
        answers(port, ca_file, count=1)
    except (OSError, http.client.HTTPException):
        return False
    return True
