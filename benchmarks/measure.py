"""What the cluster benchmarks share: their options, the CLI without proxies,
polling, timing, and ``docker stats`` memory."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from collections.abc import Callable

# the CLI talks to node addresses: never through a proxy
CLI_ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, env=CLI_ENV)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args[:6])}...: {done.stderr.strip()}")
    return done.stdout


def until(check: Callable[[], bool], timeout: float = 120, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except RuntimeError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(str(check))
        time.sleep(interval)


def timed(samples: dict[str, list[float]], op: str, fn: Callable[[], None]) -> None:
    started = time.perf_counter()
    fn()
    samples.setdefault(op, []).append(round(time.perf_counter() - started, 3))


def memory_mib(names: list[str]) -> dict[str, float]:
    """``docker stats`` memory (usage minus page cache, as the CLI shows it) per node."""
    out = run("docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *names)
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}
    found = {}
    for line in out.splitlines():
        name, usage = line.split(" ", 1)
        match = re.match(r"([\d.]+)\s*([KMG]?i?B)", usage)
        if match:
            found[name] = float(match.group(1)) * units[match.group(2)]
    return found


def arguments(doc: str, settle: float) -> argparse.Namespace:
    """The options every cluster benchmark takes; its docstring's first paragraph is the help."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--settle", type=float, default=settle, help="seconds before docker stats")
    parser.add_argument("--note", action="append", default=[], help="a line for the report")
    parser.add_argument(
        "--coe",
        choices=["swarm-mode", "kubernetes"],
        default="swarm-mode",
        help="cluster.py: which driver (kubernetes runs kubernetes.py's measurements)",
    )
    return parser.parse_args()


def docker_version() -> str:
    return run("docker", "version", "--format", "{{.Server.Version}}").strip()
