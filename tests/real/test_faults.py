"""Faults in distributed mode, against real processes, RabbitMQ, PostgreSQL and MariaDB.

Several ``moorage-api`` and ``moorage-conductor`` processes (the test driver,
tests/support/fleet.py) share a fresh database. The tests: many creates spread
over three conductors; a conductor killed with SIGKILL in the middle of a create;
RabbitMQ, then PostgreSQL, stopped and started during a burst of requests. Those
two stop servers of their own (tests/support/private_servers.py: a RabbitMQ node
and a PostgreSQL cluster on free ports, in temporary directories), never the
machine's shared ones, and check at the end that the shared ones stayed up.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from moorage.db import models
from tests.real.test_distributed import BIN, HEADERS, answers, process, wait_for
from tests.support.databases import fresh_database
from tests.support.fake_conductor import DELAY_ENV
from tests.support.fleet import (
    TRANSPORT_URL,
    Fleet,
    create_template,
    fleet,
    metric,
    scrape,
    statuses,
    write_config,
)
from tests.support.live import free_port
from tests.support.private_servers import (
    PrivatePostgres,
    PrivateRabbitMQ,
    private_postgresql,
    private_rabbitmq,
    shared_servers_stay_up,
)

pytestmark = pytest.mark.real

IN_PROGRESS = ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS")
FAST = "[conductor]\nlease_time = 6\nreconcile_interval = 2"


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
def own_postgresql() -> Iterator[PrivatePostgres]:
    with private_postgresql() as server:
        yield server


@pytest.fixture(scope="module")
def own_rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRabbitMQ]:
    """One node for the module (its boot takes seconds); each test leaves it started."""
    with private_rabbitmq(tmp_path_factory.mktemp("rabbitmq")) as server:
        yield server


def create_clusters(live: Fleet, template: str, count: int) -> list[str]:
    """``count`` creates sent at once, alternating between the API processes."""

    def create(i: int) -> str:
        with live.client(i % len(live.api_urls)) as http:
            created = http.post(
                "/v1/clusters", json={"name": f"c{i}", "cluster_template_id": template}
            )
        assert created.status_code == 202, created.text
        return str(created.json()["uuid"])

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(create, range(count)))


def all_final(http: httpx.Client, uuids: list[str]) -> dict[str, str]:
    """The statuses once none of ``uuids`` is in progress (empty dict until then)."""
    found = statuses(http)
    done = all(found.get(u) not in IN_PROGRESS for u in uuids)
    return found if done and set(uuids) <= set(found) else {}


def lease_owner(database: str, cluster: str) -> str | None:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            owner = conn.scalar(
                select(models.Cluster.lease_owner).where(models.Cluster.uuid == cluster)
            )
            return None if owner is None else str(owner)
    finally:
        engine.dispose()


def is_magnum_503(response: httpx.Response) -> bool:
    if response.status_code != 503:
        return False
    errors = response.json().get("errors") or [{}]
    return errors[0].get("status") == 503 and bool(errors[0].get("detail"))


# --- spreading and take-over -----------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_creates_spread_over_three_conductors(tmp_path: Path, backend: str) -> None:
    """30 creates at once through two APIs: every conductor runs some, all complete."""
    with (
        fresh_database(backend, tmp_path) as database,
        fleet(tmp_path, database, apis=2, conductors=3, conductor_env={DELAY_ENV: "0.2"}) as live,
        live.client() as http,
    ):
        template = create_template(http, f"tpl-{live.run}")
        clusters = create_clusters(live, template, 30)
        final = wait_for(lambda: all_final(http, clusters), timeout=90)
        assert {final[c] for c in clusters} == {"CREATE_COMPLETE"}

        done = [
            metric(
                scrape(member.metrics_url),
                "moorage_conductor_operation_duration_seconds_count",
                operation="cluster_create",
                outcome="success",
            )
            for member in live.conductors
        ]
        assert sum(done) == 30, done
        assert all(n > 0 for n in done), done  # every conductor took some of them
        assert sum(member.log.read_text().count("taking over") for member in live.conductors) == 0

        api = [scrape(f"{url}/metrics") for url in live.api_urls]
        created = [
            metric(s, "moorage_api_requests_total", route="/v1/clusters", status="202") for s in api
        ]
        assert created == [15, 15]
        assert metric(api[0], "moorage_clusters", status="CREATE_COMPLETE") == 30
        depth = metric(scrape(live.conductors[0].metrics_url), "moorage_rpc_queue_messages")
        assert depth == 0


def test_killed_conductor_is_taken_over(tmp_path: Path, postgres: str) -> None:
    """SIGKILL during a create: another conductor resumes it within lease + reconcile time."""
    slow = {DELAY_ENV: "1.5"}  # three steps: 4.5 s of create
    with (
        fleet(tmp_path, postgres, apis=1, conductors=3, settings=FAST, conductor_env=slow) as live,
        live.client() as http,
    ):
        template = create_template(http, f"tpl-{live.run}")
        [cluster] = create_clusters(live, template, 1)
        owner = wait_for(lambda: lease_owner(postgres, cluster), timeout=20)
        pid = int(owner.split(":")[1])
        victim = next(m for m in live.conductors if m.proc.pid == pid)
        wait_for(
            lambda: (
                "create nodes"
                in (http.get(f"/v1/clusters/{cluster}").json()["status_reason"] or "")
            )
        )
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        killed = time.monotonic()

        # lease_time 6 + reconcile_interval 2, and a second of slack for the DB round trips.
        successor = wait_for(
            lambda: (o := lease_owner(postgres, cluster)) not in (None, owner) and o, timeout=9
        )
        took_over = time.monotonic() - killed
        assert successor != owner
        final = wait_for(lambda: all_final(http, [cluster]), timeout=20)
        assert final[cluster] in ("CREATE_COMPLETE", "CREATE_FAILED"), final
        assert not [u for u, s in final.items() if s in IN_PROGRESS]
        survivors = [m for m in live.conductors if m is not victim]
        takeovers = sum(
            metric(
                scrape(m.metrics_url), "moorage_conductor_lease_takeovers_total", kind="redispatch"
            )
            for m in survivors
        )
        assert takeovers >= 1
        assert took_over <= 9


def test_a_conductor_runs_at_most_workers_operations(tmp_path: Path, postgres: str) -> None:
    """Casts queue for [conductor] workers threads, not the RPC library's 64."""
    settings = "[conductor]\nworkers = 2"
    with (
        fleet(tmp_path, postgres, settings=settings, conductor_env={DELAY_ENV: "0.5"}) as live,
        live.client() as http,
    ):
        template = create_template(http, f"tpl-{live.run}")
        clusters = create_clusters(live, template, 6)
        running: list[float] = []

        def sample() -> dict[str, str]:
            samples = scrape(live.conductors[0].metrics_url)
            running.append(metric(samples, "moorage_conductor_operations_in_progress"))
            return all_final(http, clusters)

        final = wait_for(sample, timeout=60)
        assert {final[c] for c in clusters} == {"CREATE_COMPLETE"}
        assert max(running) == 2, running


def test_reconcile_and_a_queued_cast_never_run_one_create_twice(
    tmp_path: Path, postgres: str
) -> None:
    """Creates queue longer than lease_time: reconcile takes some up, none runs twice."""
    settings = "[conductor]\nworkers = 4\nlease_time = 6\nreconcile_interval = 1"
    with (
        fleet(tmp_path, postgres, settings=settings, conductor_env={DELAY_ENV: "0.5"}) as live,
        live.client() as http,
    ):
        template = create_template(http, f"tpl-{live.run}")
        clusters = create_clusters(live, template, 24)  # 9 s of work for 4 threads
        final = wait_for(lambda: all_final(http, clusters), timeout=90)
        assert {final[c] for c in clusters} == {"CREATE_COMPLETE"}
        samples = scrape(live.conductors[0].metrics_url)
        runs = metric(
            samples,
            "moorage_conductor_operation_duration_seconds_count",
            operation="cluster_create",
        )
        assert runs == 24, runs


def test_api_metrics_add_up_every_worker(tmp_path: Path) -> None:
    """moorage-api with two worker processes: /metrics counts the requests of both."""
    with fresh_database("sqlite", tmp_path) as database:
        port = free_port()
        config = write_config(tmp_path, "api", database, "m", f"[api]\nport={port}\nworkers=2")
        manage = [str(BIN / "moorage-db-manage"), "--config-file", str(config), "upgrade"]
        subprocess.run(manage, check=True, capture_output=True)
        url = f"http://127.0.0.1:{port}"
        with process(
            [str(BIN / "moorage-api"), "--config-file", str(config)],
            tmp_path / "api.log",
            answers(url),
        ):
            for _ in range(20):  # a new connection each: both workers answer some
                assert httpx.get(f"{url}/v1/clusters", headers=HEADERS).status_code == 200
            for _ in range(4):  # whichever worker answers the scrape, it counts all 20
                samples = scrape(f"{url}/metrics")
                assert metric(samples, "moorage_api_requests_total", route="/v1/clusters") == 20


# --- a server of the test's own stopped and started -------------------------------------


@dataclass
class Answer:
    kind: str  # create, list or ca
    sent: float  # time.monotonic() when sent
    seconds: float
    response: httpx.Response


class Burst:
    """Requests sent without pause from a few threads until stopped; every answer kept."""

    def __init__(self, live: Fleet, template: str, cluster: str) -> None:
        self.live, self.template, self.cluster = live, template, cluster
        self.answers: list[Answer] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(i,)) for i in range(3)]

    def __enter__(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _send(self, worker: int) -> None:
        calls: list[tuple[str, Callable[[httpx.Client], httpx.Response]]] = [
            (
                "create",
                lambda h: h.post(
                    "/v1/clusters", json={"name": "b", "cluster_template_id": self.template}
                ),
            ),
            ("list", lambda h: h.get("/v1/clusters")),
            ("ca", lambda h: h.get(f"/v1/certificates/{self.cluster}")),
        ]
        n = worker
        with self.live.client(worker % len(self.live.api_urls), timeout=40) as http:
            while not self._stop.is_set():
                kind, call = calls[n % len(calls)]
                n += 1
                started = time.monotonic()
                try:
                    response = call(http)
                except httpx.HTTPError as exc:  # a hang or a dropped connection
                    self.errors.append(exc)
                    continue
                self.answers.append(Answer(kind, started, time.monotonic() - started, response))
                time.sleep(0.05)


def run_outage(
    tmp_path: Path,
    database: str,
    transport: str,
    server: PrivatePostgres | PrivateRabbitMQ,
    down: Callable[[Burst], bool],
) -> None:
    """A burst of requests across an outage of ``server``: checks common to both servers."""
    with (
        fleet(
            tmp_path,
            database,
            apis=2,
            conductors=2,
            settings=f"transport_url = {transport}\n{FAST}",
            conductor_env={DELAY_ENV: "0.2"},
        ) as live,
        live.client() as http,
    ):
        template = create_template(http, f"tpl-{live.run}")
        [first] = create_clusters(live, template, 1)
        wait_for(lambda: all_final(http, [first]), timeout=30)
        with Burst(live, template, first) as burst:
            time.sleep(2)
            try:
                server.stop()
                wait_for(lambda: down(burst), timeout=30)  # the outage was seen by the API
            finally:
                server.start()
            recovered = time.monotonic()
            wait_for(lambda: ok_after(burst, recovered), timeout=60)

        summary: dict[tuple[str, int], int] = {}
        for a in burst.answers:
            key = (a.kind, a.response.status_code)
            summary[key] = summary.get(key, 0) + 1
        print(
            "answers by kind and status:",
            summary,
            "slowest:",
            max(a.seconds for a in burst.answers),
        )
        assert not burst.errors, burst.errors[:3]
        bad = [
            (a.kind, a.response.status_code, a.response.text[:200])
            for a in burst.answers
            if not a.response.is_success and not is_magnum_503(a.response)
        ]
        assert not bad, bad
        assert max(a.seconds for a in burst.answers) < 30  # slow answers, never a hang
        accepted = [
            a.response.json()["uuid"]
            for a in burst.answers
            if a.kind == "create" and a.response.status_code == 202
        ]
        assert accepted
        final = wait_for(lambda: all_final(http, accepted), timeout=90)
        assert not [u for u, s in final.items() if s in IN_PROGRESS]
        assert {final[u] for u in accepted} == {"CREATE_COMPLETE"}, final


def ok_after(burst: Burst, since: float) -> bool:
    """Every kind of request has been answered 2xx by a request sent after ``since``."""
    kinds = {a.kind for a in burst.answers if a.sent >= since and a.response.is_success}
    return kinds >= {"create", "list", "ca"}


def test_rabbitmq_restart_during_a_burst(
    tmp_path: Path, postgres: str, own_rabbitmq: PrivateRabbitMQ
) -> None:
    def ca_refused(burst: Burst) -> bool:
        return any(a.kind == "ca" and is_magnum_503(a.response) for a in burst.answers)

    with shared_servers_stay_up():
        run_outage(tmp_path, postgres, own_rabbitmq.url, own_rabbitmq, ca_refused)


def test_postgresql_restart_during_a_burst(tmp_path: Path, own_postgresql: PrivatePostgres) -> None:
    def list_refused(burst: Burst) -> bool:
        return any(a.kind == "list" and is_magnum_503(a.response) for a in burst.answers)

    with shared_servers_stay_up():
        run_outage(tmp_path, own_postgresql.url, TRANSPORT_URL, own_postgresql, list_refused)


def test_shared_servers_stay_up_sees_a_restart(
    own_postgresql: PrivatePostgres, own_rabbitmq: PrivateRabbitMQ
) -> None:
    """The check the two tests above end with fails when its servers restart in between."""
    with (
        pytest.raises(AssertionError, match="went down") as failed,
        shared_servers_stay_up(own_postgresql.url, own_rabbitmq.url),
    ):
        own_postgresql.stop()
        own_postgresql.start()
        own_rabbitmq.stop()
        own_rabbitmq.start()
    assert own_postgresql.url in str(failed.value)
    assert own_rabbitmq.url in str(failed.value)
