"""API throughput and latency with many concurrent clients, on a large PostgreSQL database.

Seeds a fresh PostgreSQL database with 1,000 templates and 10,000 clusters
(20,000 node groups), starts the service, and measures list, show and create
with N concurrent clients. Writes benchmarks/results/api.json and .md. Not a
test: nothing is asserted, numbers are recorded.

    .venv/bin/python benchmarks/api.py [--mode serve|distributed] [--clients 32] [--seconds 15]

``serve`` is the embedded process (API + conductor, in-process bus) on
PostgreSQL; ``distributed`` is ``moorage-api`` plus one ``moorage-conductor``
over RabbitMQ. The conductor runs the test driver (tests/support), which does no
real work, so that create measures the control plane and not Docker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moorage.db import migrate, models, session  # noqa: E402
from tests.support import fake_driver  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.live import free_port  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROJECT = "default"
HEADERS = {"OpenStack-API-Version": "container-infra latest"}


def seed(url: str, templates: int, clusters: int) -> list[str]:
    """Bulk-insert templates, clusters and their two default node groups; return cluster uuids."""
    engine = session.make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    template_rows = [
        {
            "uuid": str(uuid.uuid4()),
            "project_id": PROJECT,
            "user_id": "admin",
            "name": f"tpl-{i}",
            "coe": "swarm-mode",
            "image_id": fake_driver.IMAGE,
            "cluster_distro": "fakeos",
            "server_type": "vm",
            "driver": fake_driver.NAME,
            "network_driver": "docker",
            "external_network_id": "public",
            "flavor_id": "m1.small",
            "master_flavor_id": "m1.small",
            "labels": {},
            "created_at": now,
        }
        for i in range(templates)
    ]
    cluster_rows, group_rows = [], []
    for i in range(clusters):
        cid = str(uuid.uuid4())
        cluster_rows.append(
            {
                "uuid": cid,
                "project_id": PROJECT,
                "user_id": "admin",
                "name": f"c-{i}",
                "cluster_template_id": template_rows[i % templates]["uuid"],
                "status": "CREATE_COMPLETE",
                "labels": {},
                "health_status_reason": {},
                "operation": {},
                "create_timeout": 60,
                "created_at": now,
            }
        )
        for role, name, count in (("master", "default-master", 1), ("worker", "default-worker", 2)):
            group_rows.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "name": name,
                    "cluster_id": cid,
                    "project_id": PROJECT,
                    "role": role,
                    "node_count": count,
                    "is_default": True,
                    "labels": {},
                    "node_addresses": [],
                    "node_labels": {},
                    "node_taints": [],
                    "min_node_count": 0,
                    "status": "CREATE_COMPLETE",
                    "created_at": now,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(models.ClusterTemplate), template_rows)
        for start in range(0, len(cluster_rows), 2000):
            conn.execute(insert(models.Cluster), cluster_rows[start : start + 2000])
        for start in range(0, len(group_rows), 4000):
            conn.execute(insert(models.NodeGroup), group_rows[start : start + 4000])
    engine.dispose()
    return [row["uuid"] for row in cluster_rows]


def start_server(mode: str, url: str, tmp: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    port = free_port()
    config = tmp / "moorage.conf"
    transport = (
        "transport_url = rabbit://guest:guest@127.0.0.1:5672/\n" if mode == "distributed" else ""
    )
    config.write_text(
        f"[DEFAULT]\nstate_path = {tmp}\n{transport}[database]\nconnection = {url}\n"
        f"[api]\nport = {port}\n[quotas]\nmax_clusters_per_project = 1000000\n"
        f"[catalog]\nimages = moorage-node:debian,{fake_driver.CATALOG_ENTRY}\n"
        "[kubernetes]\nhealth_polling_interval = -1\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - lives as long as the processes
    if mode == "serve":
        commands = [
            [sys.executable, "-m", "tests.support.fake_serve", "--config-file", str(config)]
        ]
    else:
        commands = [
            [sys.executable, "-m", "tests.support.fake_conductor", "--config-file", str(config)],
            [
                sys.executable,
                "-m",
                "tests.support.fake_conductor",
                "--api",
                "--config-file",
                str(config),
            ],
        ]
    procs = [
        subprocess.Popen(c, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        for c in commands
    ]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/", timeout=1).status_code == 200:
                return base, procs
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError((tmp / "server.log").read_text()[-3000:])


async def load(
    name: str,
    clients: int,
    seconds: float,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    base: str,
) -> dict[str, Any]:
    """Run ``clients`` concurrent loops for ``seconds``; collect per-request latencies."""
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=60) as client:
            i = 0
            while time.monotonic() < stop:
                started = time.perf_counter()
                response = await request(client, index * 1_000_000 + i)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 400
                i += 1

    begun = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.monotonic() - begun
    latencies.sort()
    return {
        "operation": name,
        "requests": len(latencies),
        "errors": errors,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def scenarios(
    cluster_uuids: list[str], template: str
) -> dict[str, Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]]:
    return {
        "list clusters (limit=100)": lambda c, i: c.get("/v1/clusters", params={"limit": 100}),
        "list templates (limit=100)": lambda c, i: c.get(
            "/v1/clustertemplates", params={"limit": 100}
        ),
        "show cluster": lambda c, i: c.get(f"/v1/clusters/{cluster_uuids[i % len(cluster_uuids)]}"),
        "create cluster": lambda c, i: c.post(
            "/v1/clusters",
            json={"name": f"bench-{i}", "cluster_template_id": template, "node_count": 1},
        ),
    }


def write(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"# API benchmark ({results['mode']}, {results['date']})",
        "",
        f"Machine: {results['machine']}. Database: PostgreSQL with {results['templates']} templates "
        f"and {results['clusters']} clusters. {results['clients']} concurrent clients, "
        f"{results['seconds']} s per operation.",
        "",
        "| operation | requests | errors | req/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["operations"]:
        lines.append(
            f"| {r['operation']} | {r['requests']} | {r['errors']} | {r['throughput_rps']} "
            f"| {r['p50_ms']} | {r['p99_ms']} |"
        )
    (RESULTS / "api.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["serve", "distributed"], default="serve")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, fresh_database("postgresql", Path(tmp)) as url:
        cluster_uuids = seed(url, args.templates, args.clusters)
        base, procs = start_server(args.mode, url, Path(tmp))
        try:
            template = httpx.get(base + "/v1/clustertemplates?limit=1", headers=HEADERS).json()
            template_uuid = template["clustertemplates"][0]["uuid"]
            measured = [
                asyncio.run(load(name, args.clients, args.seconds, request, base))
                for name, request in scenarios(cluster_uuids, template_uuid).items()
            ]
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=30)
    write(
        {
            "mode": args.mode,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": machine(),
            "templates": args.templates,
            "clusters": args.clusters,
            "clients": args.clients,
            "seconds": args.seconds,
            "operations": measured,
        }
    )


if __name__ == "__main__":
    main()
