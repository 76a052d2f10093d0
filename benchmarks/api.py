"""API throughput and latency with many concurrent clients, on a large PostgreSQL database.

Seeds a fresh PostgreSQL database with 1,000 templates and 10,000 clusters
(20,000 node groups), starts the service, and measures list, show and create
with N concurrent clients. Writes benchmarks/results/api.json and .md. Not a
test: nothing is asserted, numbers are recorded.

    .venv/bin/python benchmarks/api.py [--mode serve|distributed] [--auth noauth|keystone]
                                       [--clients 32] [--seconds 15]

``serve`` is the embedded process (API + conductor, in-process bus) on
PostgreSQL; ``distributed`` is ``moorage-api`` plus one ``moorage-conductor``
over RabbitMQ. The conductor runs the test driver (tests/support), which does no
real work, so that create measures the control plane and not Docker.

``--auth keystone`` starts a real Keystone (tests/support/keystone.py), seeds the
database in the Keystone project ``project-a`` and measures list and show as
``a-member`` three times on the same database: ``auth_strategy = noauth`` (the
baseline), keystonemiddleware with its default in-process token cache (every
client sends the same token), and with the cache off (``[keystone_authtoken]
token_cache_time = -1``: every request is validated by Keystone). The number of
validations Keystone answered (``GET /v3/auth/tokens`` in its access log) is
recorded for every operation. Writes benchmarks/results/api_keystone.json and .md.

``--table`` reproduces issue 12's table: a real Keystone, keystonemiddleware's token
cache on, 20 templates in ``project-a``, ``GET /v1/clustertemplates`` as ``a-member``
with 1, 4, 16 and 64 wrk connections, each level ``--repeat`` times, and beside each
measurement, in the same run, the same service's version document ``/`` (no
database, no token): the ceiling of the HTTP stack, so that the ratio of the two
means something on a machine whose load changes. ``--mode distributed`` is
``moorage-api`` with ``--workers`` processes (2 by default), ``serve`` is ``moorage
serve``. Needs wrk. Writes benchmarks/results/api_table_<mode>.json and .md.
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
from tests.support.keystone import Keystone, keystone  # noqa: E402
from tests.support.live import free_port  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROJECT = "default"
HEADERS = {"OpenStack-API-Version": "container-infra latest"}
# Keystone mode: the project the database is seeded in, and the user who reads it.
KEYSTONE_PROJECT = "project-a"
KEYSTONE_USER = "a-member"
# The operations measured with --auth keystone (scenarios() names).
READS = ("list clusters (limit=100)", "list templates (limit=100)", "show cluster")
# Columns of the results tables: header, key in a measured row.
COLUMNS = [
    ("operation", "operation"),
    ("requests", "requests"),
    ("errors", "errors"),
    ("req/s", "throughput_rps"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
]

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def seed(url: str, templates: int, clusters: int, project: str = PROJECT) -> list[str]:
    """Bulk-insert templates, clusters and their two default node groups in ``project``.

    Returns the cluster uuids.
    """
    engine = session.make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    template_rows = [
        {
            "uuid": str(uuid.uuid4()),
            "project_id": project,
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
    cluster_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    for i in range(clusters):
        cid = str(uuid.uuid4())
        cluster_rows.append(
            {
                "uuid": cid,
                "project_id": project,
                "user_id": "admin",
                "name": f"c-{i}",
                "cluster_template_id": template_rows[i % templates]["uuid"],
                "status": "CREATE_COMPLETE",
                "labels": {},
                "health_status_reason": {},
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
                    "project_id": project,
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
    return [str(row["uuid"]) for row in cluster_rows]


def start_server(
    mode: str,
    url: str,
    tmp: Path,
    config: str = "",
    name: str = "server",
    workers: int = 1,
    threads: int | None = None,
) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """Start the service on ``url``; ``config`` goes at the end of ``[DEFAULT]`` (and may
    open sections of its own). Its configuration and log are ``tmp/<name>.conf|.log``.

    With more than one API ``workers`` the API is the plain ``moorage-api`` (uvicorn's
    workers start afresh, without the test driver): enough to read what is seeded."""
    port = free_port()
    config_file = tmp / f"{name}.conf"
    log_file = tmp / f"{name}.log"
    transport = (
        "transport_url = rabbit://guest:guest@127.0.0.1:5672/\n" if mode == "distributed" else ""
    )
    threads_line = f"threads = {threads}\n" if threads else ""
    config_file.write_text(
        f"[DEFAULT]\nstate_path = {tmp}\n{transport}{config}[database]\nconnection = {url}\n"
        f"[api]\nport = {port}\nworkers = {workers}\n{threads_line}[quotas]\nmax_clusters_per_project = 1000000\n"
        f"[catalog]\nimages = moorage-node:debian,{fake_driver.CATALOG_ENTRY}\n"
        "[kubernetes]\nhealth_polling_interval = -1\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(log_file, "w")  # noqa: SIM115 - lives as long as the processes
    if mode == "serve":
        commands = [
            [sys.executable, "-m", "tests.support.fake_serve", "--config-file", str(config_file)]
        ]
    else:
        commands = [
            [
                sys.executable,
                "-m",
                "tests.support.fake_conductor",
                "--config-file",
                str(config_file),
            ],
            [
                sys.executable,
                "-m",
                "tests.support.fake_conductor",
                "--api",
                "--config-file",
                str(config_file),
            ],
        ]
    if workers > 1:
        commands[-1] = [str(Path(sys.executable).parent / "moorage-api"), *commands[-1][-2:]]
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
    stop_server(procs)
    raise RuntimeError(log_file.read_text()[-3000:])


def stop_server(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


async def load(
    name: str,
    clients: int,
    seconds: float,
    request: Request,
    base: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``clients`` concurrent loops for ``seconds``; collect per-request latencies."""
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def worker(index: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(
            base_url=base, headers={**HEADERS, **(headers or {})}, timeout=60
        ) as client:
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


def scenarios(cluster_uuids: list[str], template: str | None = None) -> dict[str, Request]:
    """The measured operations; create only when a ``template`` to create from is given."""
    operations: dict[str, Request] = {
        "list clusters (limit=100)": lambda c, i: c.get("/v1/clusters", params={"limit": 100}),
        "list templates (limit=100)": lambda c, i: c.get(
            "/v1/clustertemplates", params={"limit": 100}
        ),
        "show cluster": lambda c, i: c.get(f"/v1/clusters/{cluster_uuids[i % len(cluster_uuids)]}"),
    }
    if template is not None:
        operations["create cluster"] = lambda c, i: c.post(
            "/v1/clusters",
            json={"name": f"bench-{i}", "cluster_template_id": template, "node_count": 1},
        )
    return operations


def measure(
    operations: dict[str, Request],
    clients: int,
    seconds: float,
    base: str,
    headers: dict[str, str] | None = None,
    validations: Callable[[], int] | None = None,
) -> list[dict[str, Any]]:
    """Measure each operation in turn; with ``validations`` (Keystone's counter), record how
    many token validations Keystone answered during each one."""
    measured = []
    for name, request in operations.items():
        before = validations() if validations else 0
        row = asyncio.run(load(name, clients, seconds, request, base, headers))
        if validations:
            time.sleep(0.5)  # gunicorn logs a request just after answering it
            row["keystone_validations"] = validations() - before
        measured.append(row)
    return measured


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], left: int = 1) -> list[str]:
    """A markdown table of ``rows``; the first ``left`` columns are left-aligned."""
    lines = [
        "| " + " | ".join(header for header, _ in columns) + " |",
        "| " + " | ".join("---" if i < left else "---:" for i in range(len(columns))) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(row[key]) for _, key in columns) + " |")
    return lines


def save(stem: str, results: dict[str, Any], lines: list[str]) -> None:
    """Write ``results`` to ``RESULTS/<stem>.json`` and ``lines`` to ``<stem>.md``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def setup_line(results: dict[str, Any]) -> str:
    return (
        f"Machine: {results['machine']}. Database: PostgreSQL with {results['templates']} "
        f"templates and {results['clusters']} clusters. {results['clients']} concurrent "
        f"clients, {results['seconds']} s per operation."
    )


def write(results: dict[str, Any]) -> None:
    lines = [
        f"# API benchmark ({results['mode']}, {results['date']})",
        "",
        setup_line(results),
        "",
        *table(results["operations"], COLUMNS),
    ]
    save("api", results, lines)


def write_keystone(results: dict[str, Any]) -> None:
    rows = [
        {**row, "auth": run["auth"], "keystone_validations": row.get("keystone_validations", "-")}
        for run in results["runs"]
        for row in run["operations"]
    ]
    before, after = results["load_average"]["before"], results["load_average"]["after"]
    lines = [
        f"# API benchmark with Keystone ({results['mode']}, {results['date']})",
        "",
        setup_line(results),
        "",
        f"Data in Keystone project `{KEYSTONE_PROJECT}` ({results['project_id']}), read as "
        f"`{KEYSTONE_USER}` (member) with one token shared by all clients. Keystone "
        f"({results['keystone']}) runs on the same machine. Three runs on the same database, "
        "the service restarted for each: `auth_strategy = noauth` (baseline, every request an "
        "admin of the project), `keystone` with keystonemiddleware's default in-process token "
        "cache, and `keystone` with `[keystone_authtoken] token_cache_time = -1` (no cache: "
        "every request is validated by Keystone). Each run starts with one request, not "
        "counted, that fills the cache. *validations* is the number of `GET /v3/auth/tokens` "
        "Keystone answered during the operation (its access log).",
        "",
        f"Load average (1, 5, 15 min) before: {before}, after: {after}"
        + (f". {results['note'].rstrip('.')}." if results["note"] else "."),
        "",
        *table(rows, [("auth", "auth"), *COLUMNS, ("validations", "keystone_validations")], 2),
    ]
    save("api_keystone", results, lines)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}"


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def common(args: argparse.Namespace) -> dict[str, Any]:
    """The fields every results file has."""
    return {
        "mode": args.mode,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "templates": args.templates,
        "clusters": args.clusters,
        "clients": args.clients,
        "seconds": args.seconds,
    }


def bench_noauth(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_database("postgresql", Path(tmp)) as url:
        cluster_uuids = seed(url, args.templates, args.clusters)
        base, procs = start_server(args.mode, url, Path(tmp))
        try:
            template = httpx.get(base + "/v1/clustertemplates?limit=1", headers=HEADERS).json()
            template_uuid = template["clustertemplates"][0]["uuid"]
            measured = measure(
                scenarios(cluster_uuids, template_uuid), args.clients, args.seconds, base
            )
        finally:
            stop_server(procs)
    write({**common(args), "operations": measured})


def keystone_runs(ks: Keystone, project: str) -> list[tuple[str, str, dict[str, str]]]:
    """(label, configuration, request headers) of each run of the Keystone benchmark."""
    token = {"X-Auth-Token": ks.token(KEYSTONE_USER)}
    return [
        ("noauth", f"[noauth]\nproject_id = {project}\n", {}),
        ("keystone, token cache on", ks.authtoken_config(), token),
        ("keystone, token cache off", ks.authtoken_config() + "token_cache_time = -1\n", token),
    ]


def warm_up(base: str, headers: dict[str, str]) -> None:
    """One request, so the cache is filled; and a check that the clusters are visible."""
    response = httpx.get(
        base + "/v1/clusters", params={"limit": 1}, headers={**HEADERS, **headers}, timeout=60
    )
    if response.status_code != 200 or not response.json()["clusters"]:
        raise RuntimeError(f"no clusters visible: {response.status_code} {response.text[:500]}")


def bench_keystone(args: argparse.Namespace) -> None:
    runs = []
    loads = {"before": load_average()}
    with tempfile.TemporaryDirectory() as name, keystone(Path(name)) as ks:
        tmp = Path(name)
        project = ks.find("projects", KEYSTONE_PROJECT)
        with fresh_database("postgresql", tmp) as url:
            cluster_uuids = seed(url, args.templates, args.clusters, project)
            operations = {k: v for k, v in scenarios(cluster_uuids).items() if k in READS}
            for number, (label, config, headers) in enumerate(keystone_runs(ks, project)):
                base, procs = start_server(args.mode, url, tmp, config, f"server-{number}")
                try:
                    warm_up(base, headers)
                    measured = measure(
                        operations, args.clients, args.seconds, base, headers, ks.validations
                    )
                finally:
                    stop_server(procs)
                print(label, json.dumps(measured), flush=True)
                runs.append({"auth": label, "config": config, "operations": measured})
    loads["after"] = load_average()
    write_keystone(
        {
            **common(args),
            "project_id": project,
            "user": KEYSTONE_USER,
            "keystone": "gunicorn, 2 workers, fernet tokens, SQLite",
            "load_average": loads,
            "note": args.note,
            "runs": runs,
        }
    )


LEVELS = (1, 4, 16, 64)
TABLE_REQUEST = "/v1/clustertemplates"


def wrk(url: str, clients: int, seconds: float, headers: dict[str, str]) -> dict[str, Any]:
    """wrk's throughput, latency percentiles (ms) and errors for ``clients`` connections."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{min(clients, 2)}",
            f"-c{clients}",
            f"-d{int(seconds)}s",
            "--latency",
            *(f"--header={k}: {v}" for k, v in headers.items()),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = {"errors": 0}
    for line in done.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["throughput_rps"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            figures[f"p{words[0][:-1]}_ms"] = _milliseconds(words[1])
        elif "Non-2xx" in line or line.strip().startswith("Socket errors"):
            figures["errors"] += sum(int(w.strip(",")) for w in words if w.strip(",").isdigit())
            # Which kind: answers that were not 2xx, or connect/read/write/timeout.
            figures.setdefault("error_lines", []).append(line.strip())
    return figures


def _milliseconds(text: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    number = text.rstrip("usm")
    return round(float(number) * units[text[len(number) :]], 2)


def table_runs(base: str, token: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every level ``args.repeat`` times: the template list, then ``/`` right after it."""
    headers = {**HEADERS, "X-Auth-Token": token}
    warm_up(base, {"X-Auth-Token": token})
    runs = []
    for repeat in range(args.repeat):
        for clients in LEVELS:
            row = wrk(base + TABLE_REQUEST, clients, args.seconds, headers)
            root = wrk(base + "/", clients, args.seconds, {})
            row.update(
                repeat=repeat,
                clients=clients,
                root_rps=root["throughput_rps"],
                root_p99_ms=root["p99_ms"],
                ratio=round(row["throughput_rps"] / root["throughput_rps"], 3),
            )
            print(json.dumps(row), flush=True)
            runs.append(row)
    return runs


def spread(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per level: the lowest and highest of each figure over the repeats."""
    rows = []
    for clients in LEVELS:
        level = [r for r in runs if r["clients"] == clients]

        def span(key: str, rows: list[dict[str, Any]] = level) -> str:
            values = sorted(r[key] for r in rows)
            return f"{values[0]}" if values[0] == values[-1] else f"{values[0]}-{values[-1]}"

        rows.append(
            {
                "clients": clients,
                **{k: span(k) for k in ("throughput_rps", "p99_ms", "root_rps", "ratio")},
                "errors": sum(r["errors"] for r in level),
            }
        )
    return rows


TABLE_COLUMNS = [
    ("clients", "clients"),
    ("templates req/s", "throughput_rps"),
    ("templates p99 ms", "p99_ms"),
    ("`/` req/s", "root_rps"),
    ("ratio to `/`", "ratio"),
    ("errors", "errors"),
]


def bench_table(args: argparse.Namespace) -> None:
    loads = {"before": load_average()}
    with tempfile.TemporaryDirectory() as name, keystone(Path(name)) as ks:
        tmp = Path(name)
        project = ks.find("projects", KEYSTONE_PROJECT)
        with fresh_database("postgresql", tmp) as url:
            seed(url, args.templates, 1, project)  # one cluster: warm_up looks for it
            workers = args.workers if args.mode == "distributed" else 1
            base, procs = start_server(
                args.mode, url, tmp, ks.authtoken_config(), "table", workers, args.threads
            )
            try:
                runs = table_runs(base, ks.token(KEYSTONE_USER), args)
            finally:
                stop_server(procs)
    loads["after"] = load_average()
    served = f"moorage-api, {workers} workers" if args.mode == "distributed" else "moorage serve"
    if args.threads:
        served += f", {args.threads} threads"
    results = {
        **common(args),
        "served_by": served,
        "repeat": args.repeat,
        "load_average": loads,
        "note": args.note,
        "runs": runs,
        "spread": spread(runs),
    }
    lines = [
        f"# Template list with Keystone, {served} ({results['date']})",
        "",
        f"Machine: {results['machine']}. `GET {TABLE_REQUEST}` of {args.templates} templates "
        f"as `{KEYSTONE_USER}` (member of `{KEYSTONE_PROJECT}`) with one token, "
        "keystonemiddleware's in-process token cache on, PostgreSQL; wrk for "
        f"{args.seconds} s per level, every level {args.repeat} times, each followed at "
        "once by the version document `/` (no database, no token) at the same level: "
        "*ratio to `/`* is templates req/s over `/` req/s, the share of the HTTP stack's "
        "ceiling that the request keeps. Ranges are the lowest and highest over the "
        "repeats.",
        "",
        f"Load average (1, 5, 15 min) before: {loads['before']}, after: {loads['after']}"
        + (f". {args.note.rstrip('.')}." if args.note else "."),
        "",
        *table(results["spread"], TABLE_COLUMNS),
    ]
    save(f"api_table_{args.mode}", results, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mode", choices=["serve", "distributed"], default="serve")
    parser.add_argument("--auth", choices=["noauth", "keystone"], default="noauth")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10000)
    parser.add_argument("--note", default="", help="a remark for the results")
    parser.add_argument("--table", action="store_true", help="issue 12's table (see above)")
    parser.add_argument("--repeat", type=int, default=3, help="--table: runs of every level")
    parser.add_argument("--workers", type=int, default=2, help="--table: moorage-api workers")
    parser.add_argument("--threads", type=int, help="--table: [api] threads (default: its own)")
    args = parser.parse_args()
    if args.table:
        if args.templates == parser.get_default("templates"):
            args.templates = 20
        args.clusters = 1
        bench_table(args)
    elif args.auth == "keystone":
        bench_keystone(args)
    else:
        bench_noauth(args)


if __name__ == "__main__":
    main()
