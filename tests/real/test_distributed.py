"""Distributed mode end to end: PostgreSQL, RabbitMQ, one conductor and two APIs.

A fresh PostgreSQL database is migrated with ``moorage-db-manage upgrade``; a
conductor (with the test driver) and an API (with the test driver, one worker)
run as subprocesses with the same configuration, on a topic and notification
topic of this run only. A cluster is created and deleted over HTTP. A second,
unmodified ``moorage-api`` with two worker processes reads the cluster's CA
through a call to the conductor, so the bus works in every uvicorn worker.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import kombu
import psutil
import psycopg
import pytest

from tests.support import fake_driver
from tests.support.fake_conductor import DELAY_ENV
from tests.support.live import ROOT, free_port

pytestmark = pytest.mark.real

BIN = Path(sys.executable).parent
PG = "host=127.0.0.1 port=5432 user=postgres dbname=test"
HEADERS = {"OpenStack-API-Version": "container-infra latest"}


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of this test alone, dropped afterwards; its SQLAlchemy URL."""
    name = f"moorage_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_config(tmp: Path, database: str, run: str, port: int, workers: int) -> Path:
    path = tmp / f"moorage-{port}.conf"
    path.write_text(
        f"""[DEFAULT]
state_path = {tmp / "state"}
transport_url = rabbit://guest:guest@127.0.0.1:5672/
rpc_response_timeout = 20
status_sync_interval = 1
[api]
port = {port}
workers = {workers}
[conductor]
topic = moorage-conductor-{run}
[database]
connection = {database}
[catalog]
images = moorage-node:debian,{fake_driver.CATALOG_ENTRY}
[oslo_messaging_notifications]
driver = messagingv2
topics = moorage-notifications-{run}
"""
    )
    return path


@contextmanager
def process(
    args: list[str],
    log: Path,
    ready: Callable[[], bool] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess, ready when ``ready`` says so; SIGTERM and its exit at the end if it runs."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=environ, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while ready is not None and not ready():
            assert proc.poll() is None, f"{args[0]} exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{args[0]} not ready: {log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{args[0]} ignored SIGTERM: {log.read_text()[-3000:]}") from None


@dataclass
class Deployment:
    run: str
    http: httpx.Client
    conductor: subprocess.Popen[bytes]
    conductor_log: Path


RUNNER = [sys.executable, "-m", "tests.support.fake_conductor"]


def migrate(config: Path) -> None:
    """``moorage-db-manage upgrade`` of the database ``config`` names."""
    upgrade = subprocess.run(
        [str(BIN / "moorage-db-manage"), "--config-file", str(config), "upgrade"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr


@contextmanager
def deployment(
    tmp: Path, database: str, conductor_env: dict[str, str] | None = None
) -> Iterator[Deployment]:
    """A migrated database, a conductor and an API (both with the test driver)."""
    run = uuid.uuid4().hex[:12]
    port = free_port()
    config = write_config(tmp, database, run, port, workers=1)
    migrate(config)
    url = f"http://127.0.0.1:{port}"
    log = tmp / "conductor.log"
    with (
        process(
            [*RUNNER, "--config-file", str(config)],
            log,
            logged(log, "serving topic"),
            conductor_env,
        ) as conductor,
        process([*RUNNER, "--api", "--config-file", str(config)], tmp / "api.log", answers(url)),
        httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http,
    ):
        yield Deployment(run, http, conductor, log)


def create_cluster(http: httpx.Client, run: str) -> str:
    """A template with the test driver's image and a cluster of it; the cluster's uuid."""
    template = http.post(
        "/v1/clustertemplates",
        json={
            "name": f"tpl-{run}",
            "coe": "swarm-mode",
            "image_id": fake_driver.IMAGE,
            "external_network_id": "public",
            "flavor_id": "m1.small",
            "master_flavor_id": "m1.small",
        },
    )
    assert template.status_code == 201, template.text
    created = http.post(
        "/v1/clusters",
        json={"name": f"c-{run}", "cluster_template_id": template.json()["uuid"]},
    )
    assert created.status_code == 202, created.text
    return str(created.json()["uuid"])


def step_of(http: httpx.Client, cluster: str) -> str:
    """The step the conductor reports in status_reason while an operation runs."""
    return str(http.get(f"/v1/clusters/{cluster}").json().get("status_reason") or "")


def status_of(http: httpx.Client, cluster: str) -> str:
    body = http.get(f"/v1/clusters/{cluster}").json()
    assert not body["status"].endswith("FAILED"), body
    return str(body["status"])


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def logged(log: Path, text: str) -> Callable[[], bool]:
    return lambda: text in log.read_text()


def wait_for(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.25)
    return value


def notification_types(queue: str) -> list[str]:
    """Event types of the notifications waiting on a queue (which is deleted after)."""
    found = []
    with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
            found.append(json.loads(json.loads(message.body)["oslo.message"])["event_type"])
        channel.queue_delete(queue=queue)
    return found


def test_cluster_lifecycle_across_api_and_conductor_processes(
    tmp_path: Path, database: str
) -> None:
    with deployment(tmp_path, database) as live:
        http, run = live.http, live.run
        cluster = create_cluster(http, run)
        wait_for(lambda: status_of(http, cluster) == "CREATE_COMPLETE")

        # A plain moorage-api with two worker processes, on the same DB and bus.
        second_port = free_port()
        second = write_config(tmp_path, database, run, second_port, workers=2)
        second_url = f"http://127.0.0.1:{second_port}"
        api = [str(BIN / "moorage-api"), "--config-file", str(second)]
        with (
            process(api, tmp_path / "api2.log", answers(second_url)),
            httpx.Client(base_url=second_url, headers=HEADERS, timeout=30) as other,
        ):
            for _ in range(4):  # more than one request, so more than one worker answers
                ca = other.get(f"/v1/certificates/{cluster}")
                assert ca.status_code == 200, ca.text
                assert ca.json()["pem"].startswith("-----BEGIN CERTIFICATE-----")
            missing = other.get(f"/v1/certificates/{uuid.uuid4()}")
            assert missing.status_code == 404, missing.text

        assert http.delete(f"/v1/clusters/{cluster}").status_code == 204
        wait_for(lambda: http.get(f"/v1/clusters/{cluster}").status_code == 404)

    assert "stopped" in live.conductor_log.read_text()
    info = notification_types(f"moorage-notifications-{run}.info")
    assert "magnum.cluster.create" in info
    assert "magnum.cluster.delete" in info


def test_sigterm_lets_the_running_operation_finish(tmp_path: Path, database: str) -> None:
    """The conductor stops taking messages but completes the create it is running."""
    slow = {DELAY_ENV: "1.5"}  # three steps: 4.5 s of create
    with deployment(tmp_path, database, slow) as live:
        cluster = create_cluster(live.http, live.run)
        wait_for(lambda: "create nodes" in step_of(live.http, cluster), timeout=20)
        live.conductor.send_signal(signal.SIGTERM)
        assert live.conductor.wait(timeout=30) == 0
        assert status_of(live.http, cluster) == "CREATE_COMPLETE"
    log = live.conductor_log.read_text()
    assert "Received SIGTERM" in log
    assert "stopped" in log


def test_api_answers_503_when_the_broker_is_down(tmp_path: Path) -> None:
    """A call through a broker nobody listens on is a quick 503; a cast keeps its 202."""
    port = free_port()
    config = tmp_path / "moorage.conf"
    config.write_text(
        f"""[DEFAULT]
state_path = {tmp_path / "state"}
transport_url = rabbit://guest:guest@127.0.0.1:{free_port()}/
rpc_send_retries = 1
[api]
port = {port}
[database]
connection = sqlite:///{tmp_path / "moorage.sqlite"}
"""
    )
    manage = [str(BIN / "moorage-db-manage"), "--config-file", str(config), "upgrade"]
    subprocess.run(manage, check=True, capture_output=True)
    url = f"http://127.0.0.1:{port}"
    api = [str(BIN / "moorage-api"), "--config-file", str(config)]
    with (
        process(api, tmp_path / "api.log", answers(url)),
        httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http,
    ):
        template = http.post(
            "/v1/clustertemplates",
            json={
                "name": "tpl",
                "coe": "swarm-mode",
                "image_id": "moorage-node",
                "external_network_id": "public",
                "flavor_id": "m1.small",
                "master_flavor_id": "m1.small",
            },
        )
        assert template.status_code == 201, template.text
        body = {"name": "c1", "cluster_template_id": template.json()["uuid"]}
        created = http.post("/v1/clusters", json=body)
        assert created.status_code == 202, created.text
        started = time.monotonic()
        ca = http.get(f"/v1/certificates/{created.json()['uuid']}")
        assert ca.status_code == 503, ca.text
        assert "message bus is unreachable" in ca.json()["errors"][0]["detail"]
        assert time.monotonic() - started < 15


@pytest.mark.parametrize("command", ["moorage-api", "moorage-conductor"])
def test_refuses_a_database_that_is_not_upgraded(tmp_path: Path, command: str) -> None:
    config = tmp_path / "moorage.conf"
    config.write_text(
        f"""[DEFAULT]
state_path = {tmp_path / "state"}
transport_url = rabbit://guest:guest@127.0.0.1:5672/
[database]
connection = sqlite:///{tmp_path / "empty.sqlite"}
"""
    )
    done = subprocess.run(
        [str(BIN / command), "--config-file", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "moorage-db-manage upgrade" in done.stderr
    assert "Traceback" not in done.stderr


def worker_pids(parent: int) -> set[int]:
    """The uvicorn worker processes of a ``moorage-api`` (not multiprocessing's tracker)."""
    children = psutil.Process(parent).children()
    return {c.pid for c in children if "spawn_main" in " ".join(c.cmdline())}


def serving_pids(log: Path) -> set[int]:
    """The processes that wrote an access line to ``log`` (its format logs the pid)."""
    lines = [line.split() for line in log.read_text().splitlines()]
    return {int(words[2]) for words in lines if "moorage.api.access" in words}


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def stalled_request(port: int) -> socket.socket:
    """A connection whose request is in progress for ever: its body never comes."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /v1/clustertemplates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{"
    )
    return sock


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_no_worker_outlives_its_parent(tmp_path: Path, database: str, signum: int) -> None:
    """Two workers both serve; once the parent is stopped (or killed), while a request
    that never ends is in progress, no worker is left and the port is closed."""
    port = free_port()
    config = write_config(tmp_path, database, uuid.uuid4().hex[:12], port, workers=2)
    config.write_text(config.read_text().replace("[api]\n", "[api]\nshutdown_timeout = 2\n"))
    migrate(config)
    url, log = f"http://127.0.0.1:{port}", tmp_path / "api.log"
    with process(
        [str(BIN / "moorage-api"), "--config-file", str(config)], log, answers(url)
    ) as api:

        def both_serve() -> set[int]:
            with ThreadPoolExecutor(8) as pool:  # new connections, spread over the workers
                list(pool.map(lambda _: httpx.get(url + "/", timeout=10), range(16)))
            # uvicorn replaces a worker that misses a health check: ask again each time
            workers = worker_pids(api.pid)
            return workers if len(workers) == 2 and workers <= serving_pids(log) else set()

        workers = wait_for(both_serve)
        with stalled_request(port):
            time.sleep(0.5)  # the worker that took it is reading its body
            api.send_signal(signum)
            api.wait(timeout=60)
            wait_for(lambda: not any(running(pid) for pid in workers), timeout=60)
    assert not port_open(port)


def listening_sockets(port: int) -> int:
    """Sockets listening on 127.0.0.1:``port``, each counted once however many
    processes hold it (``/proc/net/tcp``: state 0A is LISTEN)."""
    local = f"0100007F:{port:04X}"
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1] == local and row[3] == "0A")


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path: Path, database: str) -> None:
    """Two workers listen on two sockets of the one port (SO_REUSEPORT), and clients
    that connect at the same moment and stay connected are served by both: on one
    shared socket the worker that woke first took a whole burst of connections."""
    port = free_port()
    config = write_config(tmp_path, database, uuid.uuid4().hex[:12], port, workers=2)
    migrate(config)
    url, log = f"http://127.0.0.1:{port}", tmp_path / "api.log"
    with process(
        [str(BIN / "moorage-api"), "--config-file", str(config)], log, answers(url)
    ) as api:
        wait_for(lambda: len(worker_pids(api.pid)) == 2 and listening_sockets(port) == 2)
        clients = [httpx.Client(base_url=url, timeout=30) for _ in range(16)]
        with ThreadPoolExecutor(16) as pool:
            for _ in range(3):  # the same 16 connections, kept alive
                list(pool.map(lambda client: client.get("/").raise_for_status(), clients))
        for client in clients:
            client.close()
        assert serving_pids(log) == worker_pids(api.pid)
