"""Where a ``moorage-api`` worker spends its time, sampled by py-spy under wrk's load.

Seeds PostgreSQL (20 templates, 10,000 clusters by default), starts ``moorage-api``
(one worker, so one process holds all the work; noauth, or with ``--auth keystone``
a real Keystone and keystonemiddleware's token cache, the database seeded in
``project-a`` and read with one ``a-member`` token), and for each request and
each number of clients runs wrk while ``py-spy record --gil`` samples the worker:
only the thread holding the GIL is sampled, so the profile is where the Python
time goes. Prints and writes ``benchmarks/results/api-profile.json``: wrk's
throughput and latency, and per profile the share of samples under each of a few
frames of interest and the top frames by own time.

    .venv/bin/python benchmarks/profile_api.py [--seconds 10] [--clients 16 64]
                                               [--auth noauth|keystone]

Needs py-spy (PyPI) and wrk (Debian) on PATH or in the venv. Not a test.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api import (  # noqa: E402
    HEADERS,
    KEYSTONE_PROJECT,
    KEYSTONE_USER,
    PROJECT,
    RESULTS,
    seed,
    start_server,
    stop_server,
    wrk,
)
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.keystone import keystone  # noqa: E402

# Frames whose inclusive share tells the layers apart (substring of "function (file)").
LAYERS = {
    "route handler (endpoint)": "run_endpoint_function",
    "sync dependencies (thread pool)": "solve_dependencies",
    "thread hop (anyio to_thread)": "run_sync_in_worker_thread",
    "jsonable_encoder": "jsonable_encoder",
    "JSON rendering": "render (starlette/responses.py)",
    "SQL execute": "_execute_context",
    "ORM row loading": "orm/loading.py",
    "connection pool checkout": "_checkout",
    "policy": "moorage/api/policy.py",
    "cluster rendering": "_full (moorage/api/views/clusters.py)",
    "template rendering": "moorage/api/views/templates.py",
    "uvicorn HTTP (h11/httptools)": "uvicorn/protocols/http",
    "middleware (moorage)": "moorage/api/middleware.py",
    "access log": "moorage/api/observe.py",
    "keystonemiddleware": "keystonemiddleware/",
}


def profile(
    pid: int, url: str, clients: int, seconds: float, out: Path, headers: dict[str, str]
) -> dict[str, Any]:
    """wrk ``clients`` connections on ``url`` for ``seconds`` while py-spy samples ``pid``."""
    drain(url, headers)
    spy = subprocess.Popen(
        [
            _tool("py-spy"),
            "record",
            "--pid",
            str(pid),
            "--gil",
            "--rate",
            "250",
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures = wrk(url, clients, seconds, headers)
    spy.wait(timeout=60)
    return {"wrk": figures, **summarise(out)}


def drain(url: str, headers: dict[str, str], timeout: float = 120) -> None:
    """Wait until the requests a previous run left queued are answered: one request alone
    is quick again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        httpx.get(url, headers=headers, timeout=timeout)
        if time.monotonic() - started < 0.5:
            return
        time.sleep(1)


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def summarise(raw: Path, top: int = 15) -> dict[str, Any]:
    """Inclusive share of each of ``LAYERS`` and the ``top`` frames by own samples."""
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[_short(frames[-1])] += samples
        for layer, needle in LAYERS.items():
            if any(needle in frame for frame in frames):
                inclusive[layer] += samples
    share = {k: round(100 * v / total, 1) for k, v in inclusive.most_common()} if total else {}
    return {
        "samples": total,
        "inclusive_percent": share,
        "own_percent": {k: round(100 * v / total, 1) for k, v in own.most_common(top)},
    }


def _short(frame: str) -> str:
    """``function (path/to/file.py:line)`` without the site-packages prefix and line."""
    name, _, where = frame.partition(" (")
    where = where.split("site-packages/")[-1].split("/work/")[-1].rsplit(":", 1)[0]
    return f"{name} ({where})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--templates", type=int, default=20)
    parser.add_argument("--clusters", type=int, default=10000)
    parser.add_argument("--auth", choices=["noauth", "keystone"], default="noauth")
    parser.add_argument("--label", default="", help="a name for this run in the results")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw profiles in this folder")
    args = parser.parse_args()
    results: dict[str, Any] = {"label": args.label, "auth": args.auth, "runs": []}
    with tempfile.TemporaryDirectory() as name, contextlib.ExitStack() as stack:
        tmp = Path(name)
        if args.raw:
            args.raw.mkdir(parents=True, exist_ok=True)
        config, project, headers = "", PROJECT, dict(HEADERS)
        if args.auth == "keystone":
            ks = stack.enter_context(keystone(tmp))
            config, project = ks.authtoken_config(), ks.find("projects", KEYSTONE_PROJECT)
            headers["X-Auth-Token"] = ks.token(KEYSTONE_USER)
        url = stack.enter_context(fresh_database("postgresql", tmp))
        clusters = seed(url, args.templates, args.clusters, project)
        base, procs = start_server("distributed", url, tmp, config)
        try:
            requests = {
                "template list (20)": "/v1/clustertemplates",
                "cluster show": f"/v1/clusters/{clusters[0]}",
                "cluster list (limit=100)": "/v1/clusters?limit=100",
                "version document /": "/",
            }
            httpx.get(base + "/v1/clusters?limit=1", headers=headers).raise_for_status()
            for label, path in requests.items():
                for clients in args.clients:
                    out = (args.raw or tmp) / f"profile-{len(results['runs'])}.txt"
                    run = profile(procs[1].pid, base + path, clients, args.seconds, out, headers)
                    results["runs"].append({"request": label, "clients": clients, **run})
                    print(json.dumps(results["runs"][-1]), flush=True)
        finally:
            stop_server(procs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "api-profile" + (f"-{args.label}" if args.label else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
