"""A PostgreSQL cluster and a RabbitMQ node of a test's own, for tests that stop them.

The fault tests (tests/real/test_faults.py) stop and start a server in the middle
of a burst of requests. The machine's shared servers (5432, 5672) serve other
tests and other people's work at the same time, so those tests get servers of
their own: Debian's binaries (``scripts/setup-services.sh`` installs them) on free
loopback ports, with every file in a temporary directory that is removed after,
whether the test passed or not.

- PostgreSQL: ``initdb`` (trust, superuser ``postgres``, no fsync) and ``pg_ctl``
  from the newest /usr/lib/postgresql/<version>/bin, its unix socket in its own
  directory. PostgreSQL refuses to run as root, so as root it runs as the
  ``postgres`` system user (``runuser``), in a directory under /tmp that user owns.
- RabbitMQ: /usr/lib/rabbitmq/bin/rabbitmq-server in the foreground, as the user
  running the tests. Debian's /usr/sbin wrapper would ``su`` to ``rabbitmq`` and use
  /var/lib/rabbitmq as home, sharing the machine node's Erlang cookie; here HOME
  is the node's directory, so Erlang writes a cookie of its own there, readable by
  that user, and ``rabbitmqctl`` (same HOME) finds it. An epmd of its own
  (``ERL_EPMD_PORT``) is killed after, leaving the machine's epmd (4369) alone.
  Boot takes a few seconds; no plugins are enabled.

``shared_servers_stay_up`` checks the other side: the shared servers were not
stopped while a test ran.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import amqp
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tests.support.databases import POSTGRES_ADMIN
from tests.support.fleet import TRANSPORT_URL
from tests.support.live import free_port

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
MISSING = "run scripts/setup-services.sh"


def run(args: list[str], env: dict[str, str] | None = None) -> None:
    """A server command that must succeed; its output goes into the assertion if not."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Until 127.0.0.1:``port`` accepts connections, as long as ``proc`` runs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert proc.poll() is None, f"exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"not listening: {log.read_text()[-3000:]}"
            time.sleep(0.1)


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class PrivatePostgres:
    bin: Path
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def command(self, program: str, *args: str) -> list[str]:
        """``program`` of this PostgreSQL on the cluster's data directory, as its owner."""
        line = [str(self.bin / program), "-D", str(self.home / "data"), *args]
        return ["runuser", "-u", "postgres", "--", *line] if os.geteuid() == 0 else line

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -F"
        log = str(self.home / "postgresql.log")
        run(self.command("pg_ctl", "-l", log, "-w", "-o", options, "start"))

    def stop(self) -> None:
        run(self.command("pg_ctl", "-m", "fast", "-w", "stop"))


def postgresql_bin() -> Path:
    """The newest PostgreSQL installed, as Debian lays it out."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parents[1].name)
    )
    assert found, f"PostgreSQL is missing: {MISSING}"
    return found[-1].parent


@contextmanager
def private_postgresql() -> Iterator[PrivatePostgres]:
    """A running cluster of its own (about a second); stopped and removed after."""
    home = Path(tempfile.mkdtemp(prefix="moorage-pg-"))  # short: the socket path has a limit
    server = PrivatePostgres(postgresql_bin(), home, free_port())
    try:
        if os.geteuid() == 0:
            shutil.chown(home, "postgres", "postgres")
        run(server.command("initdb", "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8"))
        server.start()
        yield server
    finally:  # not run(): pg_ctl stop fails, harmlessly, on a server the test left stopped
        stop = server.command("pg_ctl", "-m", "immediate", "-w", "stop")
        subprocess.run(stop, capture_output=True, timeout=60, check=False)
        shutil.rmtree(home, ignore_errors=True)


# --- RabbitMQ ---------------------------------------------------------------------------


@dataclass
class PrivateRabbitMQ:
    node: str
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"rabbit://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args: str) -> None:
        run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.node, *args], self.env)

    def stop(self) -> None:
        """Stop the RabbitMQ application (its listener and every connection); the node stays."""
        self.ctl("stop_app")

    def start(self) -> None:
        self.ctl("start_app")


@contextmanager
def private_rabbitmq(tmp: Path) -> Iterator[PrivateRabbitMQ]:
    """A running node of its own, with its files under ``tmp``; stopped and removed after."""
    assert (RABBITMQ_BIN / "rabbitmq-server").exists(), f"RabbitMQ is missing: {MISSING}"
    home = tmp / "rabbitmq"
    home.mkdir()
    (home / "enabled_plugins").write_text("[].\n")
    (home / "rabbitmq.conf").write_text("")
    port, epmd = free_port(), free_port()
    node = f"moorage-test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "HOME": str(home),
        "ERL_EPMD_PORT": str(epmd),
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),  # not /etc/rabbitmq's
        "RABBITMQ_PID_FILE": str(home / "pid"),
    }
    log = home / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(RABBITMQ_BIN / "rabbitmq-server")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
            start_new_session=True,  # its own process group, killed whole if it hangs
        )
    try:
        wait_port(port, proc, log, timeout=60)
        yield PrivateRabbitMQ(node, port, env)
    finally:
        proc.terminate()  # the script stops the node cleanly on SIGTERM
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        subprocess.run(["epmd", "-port", str(epmd), "-kill"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)


# --- the shared servers ---------------------------------------------------------------


@contextmanager
def shared_servers_stay_up(
    database: str = POSTGRES_ADMIN, transport: str = TRANSPORT_URL
) -> Iterator[None]:
    """Hold a connection to each shared server across the block, then use both.

    A server stopped or restarted in between, however briefly, has dropped its
    connections: the assertion at the end names it.
    """
    engine = create_engine(database, poolclass=NullPool)
    bus = urlsplit(transport)
    broker = amqp.Connection(
        f"{bus.hostname}:{bus.port}", userid=bus.username, password=bus.password
    )
    with engine.connect() as sql:
        broker.connect()
        try:
            yield
            dropped = []
            try:
                sql.execute(text("SELECT 1"))
            except DBAPIError:
                dropped.append(database)
            try:
                broker.channel().close()
                broker.close()
            except (OSError, amqp.exceptions.AMQPError):
                dropped.append(transport)
            assert not dropped, f"a shared server went down during the test: {dropped}"
        finally:
            broker.collect()  # the socket, when close() did not get to it
            engine.dispose()
