"""Control-plane scaling: API requests with 1 and 2 API processes, creates with 1 and 3 conductors.

Distributed mode on PostgreSQL and RabbitMQ, every process with the test driver
(tests/support/fleet.py), so that the numbers are the control plane's and not
Docker's. Two measurements, each on a fresh database:

- API: requests per second and p50/p99 latency of list, show and create with
  ``--clients`` concurrent clients for ``--seconds`` each, against 1 and then 2
  ``moorage-api`` processes (one uvicorn worker each; the load generator sends
  each request to the next process's port in turn), on a database seeded with
  ``--templates`` templates and ``--clusters`` clusters. One conductor runs the
  creates' casts meanwhile.
- Conductors: clusters completed per minute with 1 and then 3 conductors:
  ``--creates`` clusters are asked for at once (16 client threads) and timed
  until the last is CREATE_COMPLETE; the test driver takes ``--delay`` seconds
  for each of its three create steps.

Writes benchmarks/results/control_plane.json and .md. Not a test: nothing is
asserted, numbers are recorded. The load generator runs on the same machine.

    .venv/bin/python benchmarks/control_plane.py [--clients 16] [--seconds 10] [--creates 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api import load, machine, scenarios, seed  # noqa: E402
from moorage.db import models  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.fake_conductor import DELAY_ENV  # noqa: E402
from tests.support.fleet import create_template, fleet, metric, scrape  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
UNLIMITED = "[quotas]\nmax_clusters_per_project = 1000000"
MEASURED = ("list clusters (limit=100)", "show cluster", "create cluster")

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


class Spread:
    """The client a scenario sees: request ``i`` goes to API process ``i % len(bases)``."""

    def __init__(self, client: httpx.AsyncClient, bases: list[str], i: int) -> None:
        self._client, self._base = client, bases[i % len(bases)]

    def get(self, path: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self._client.get(self._base + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Awaitable[httpx.Response]:
        return self._client.post(self._base + path, **kwargs)


def spread(request: Request, bases: list[str]) -> Request:
    return lambda client, i: request(Spread(client, bases, i), i)  # type: ignore[arg-type]


def api_scaling(tmp: Path, apis: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    with fresh_database("postgresql", tmp) as url:
        clusters = seed(url, args.templates, args.clusters)
        with fleet(tmp, url, apis=apis, conductors=1, settings=UNLIMITED) as live:
            with live.client() as http:  # the seeded templates name no flavor: creates need one
                template = create_template(http, "bench")
            chosen = {k: v for k, v in scenarios(clusters, template).items() if k in MEASURED}
            measured = []
            for name, request in chosen.items():
                result = asyncio.run(
                    load(name, args.clients, args.seconds, spread(request, live.api_urls), "")
                )
                measured.append({"api_processes": apis, **result})
                print(measured[-1], flush=True)
            return measured


def conductor_scaling(tmp: Path, conductors: int, args: argparse.Namespace) -> dict[str, Any]:
    env = {DELAY_ENV: str(args.delay)}
    with (
        fresh_database("postgresql", tmp) as url,
        fleet(
            tmp, url, apis=1, conductors=conductors, settings=UNLIMITED, conductor_env=env
        ) as live,
        live.client() as http,
    ):
        template = create_template(http, "bench")
        engine = create_engine(url)
        complete = select(func.count()).where(models.Cluster.status == "CREATE_COMPLETE")

        def create(i: int) -> int:
            body = {"name": f"c{i}", "cluster_template_id": template, "node_count": 1}
            return http.post("/v1/clusters", json=body).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            codes = list(pool.map(create, range(args.creates)))
        accepted = time.monotonic() - started
        done = 0
        while done < codes.count(202) and time.monotonic() - started < 600:
            time.sleep(0.1)
            with engine.connect() as conn:
                done = int(conn.scalar(complete) or 0)
        elapsed = time.monotonic() - started
        engine.dispose()
        per_conductor = [
            int(
                metric(
                    scrape(m.metrics_url),
                    "moorage_conductor_operation_duration_seconds_count",
                    operation="cluster_create",
                )
            )
            for m in live.conductors
        ]
    result = {
        "conductors": conductors,
        "clusters": args.creates,
        "accepted": codes.count(202),
        "completed": done,
        "requests_s": round(accepted, 2),
        "seconds": round(elapsed, 2),
        "per_minute": round(done / elapsed * 60, 1),
        "per_conductor": per_conductor,
    }
    print(result, flush=True)
    return result


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "control_plane.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# Control-plane scaling ({results['date']})",
        "",
        f"Machine: {results['machine']}; PostgreSQL, RabbitMQ, every Moorage process and the "
        "load generator on it. Distributed mode with the test driver. The machine was shared: "
        f"1-minute load average {results['load_average'][0]} at the start and "
        f"{results['load_average'][1]} at the end (other work ran meanwhile), so compare the "
        "rows with care.",
        "",
        f"## API processes ({results['clients']} clients, {results['seconds']} s per operation, "
        f"{results['templates']} templates and {results['seeded_clusters']} clusters seeded)",
        "",
        "| API processes | operation | requests | errors | req/s | p50 ms | p99 ms |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["api"]:
        lines.append(
            f"| {r['api_processes']} | {r['operation']} | {r['requests']} | {r['errors']} "
            f"| {r['throughput_rps']} | {r['p50_ms']} | {r['p99_ms']} |"
        )
    lines += [
        "",
        f"## Conductors ({results['creates']} creates at once, test driver "
        f"{results['delay']} s per step, 3 steps)",
        "",
        "| conductors | completed | seconds | clusters/min | creates per conductor |",
        "| ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results["conductors"]:
        lines.append(
            f"| {r['conductors']} | {r['completed']}/{r['clusters']} | {r['seconds']} "
            f"| {r['per_minute']} | {', '.join(map(str, r['per_conductor']))} |"
        )
    ceiling = 4 * 60 / (3 * results["delay"])
    lines += [
        "",
        f"A conductor runs [conductor] workers = 4 operations at a time, so one conductor's "
        f"ceiling is 4 * 60 / (3 * {results['delay']}) = {ceiling:.0f} clusters/min. On 2 cores "
        "shared by PostgreSQL, RabbitMQ, the conductor, the API processes and the load "
        "generator, CPU rather than the number of API processes limits the API rows.",
    ]
    (RESULTS / "control_plane.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=2000)
    parser.add_argument("--creates", type=int, default=120)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    api: list[dict[str, Any]] = []
    scaled: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for apis in (1, 2):
            (Path(tmp) / f"api{apis}").mkdir()
            api += api_scaling(Path(tmp) / f"api{apis}", apis, args)
        for conductors in (1, 3):
            (Path(tmp) / f"conductors{conductors}").mkdir()
            scaled.append(
                conductor_scaling(Path(tmp) / f"conductors{conductors}", conductors, args)
            )
    write(
        {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": machine(),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "clients": args.clients,
            "seconds": args.seconds,
            "templates": args.templates,
            "seeded_clusters": args.clusters,
            "creates": args.creates,
            "delay": args.delay,
            "api": api,
            "conductors": scaled,
        }
    )


if __name__ == "__main__":
    main()
