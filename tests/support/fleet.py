"""A distributed deployment of several ``moorage-api`` and ``moorage-conductor`` processes.

Every process runs with the test driver (``tests.support.fake_conductor``) on one
database and RabbitMQ, on a conductor topic of this run only. Each API has a
port of its own (one worker: the test driver is registered in-process), and each
conductor a config file of its own with its own ``[conductor] metrics_port``.
Used by the fault tests and the control-plane benchmark.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.real.test_distributed import HEADERS, RUNNER, answers, logged, migrate, process
from tests.support import fake_driver
from tests.support.live import free_port

TRANSPORT_URL = "rabbit://guest:guest@127.0.0.1:5672/"  # the machine's RabbitMQ


@dataclass
class Member:
    """One conductor: its process, log and metrics URL."""

    proc: subprocess.Popen[bytes]
    log: Path
    metrics_url: str


@dataclass
class Fleet:
    run: str
    database: str
    api_urls: list[str]
    conductors: list[Member] = field(default_factory=list)

    def client(self, index: int = 0, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.api_urls[index], headers=HEADERS, timeout=timeout)


def write_config(tmp: Path, name: str, database: str, run: str, settings: str = "") -> Path:
    """A config file; ``settings`` (INI text) adds sections or overrides options."""
    sections: dict[str, dict[str, str]] = {
        "DEFAULT": {
            "state_path": str(tmp / "state"),
            "transport_url": TRANSPORT_URL,
            "rpc_response_timeout": "5",
            "rpc_send_retries": "1",
        },
        "conductor": {"topic": f"moorage-conductor-{run}", "lease_time": "6"},
        "database": {"connection": database},
        "catalog": {"images": f"moorage-node:debian,{fake_driver.CATALOG_ENTRY}"},
        "quotas": {"max_clusters_per_project": "10000"},
        "kubernetes": {"health_polling_interval": "-1"},
    }
    section = "DEFAULT"
    for line in settings.splitlines():
        line = line.strip()
        if match := re.fullmatch(r"\[(\w+)\]", line):
            section = match.group(1)
            sections.setdefault(section, {})
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[section][key] = value
    path = tmp / f"{name}.conf"
    path.write_text(
        "".join(
            f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in opts.items())
            for s, opts in sections.items()
        )
    )
    return path


@contextmanager
def fleet(
    tmp: Path,
    database: str,
    apis: int = 1,
    conductors: int = 1,
    settings: str = "",
    conductor_env: dict[str, str] | None = None,
) -> Iterator[Fleet]:
    """Migrate ``database``, start the conductors, then the APIs; stop them all after."""
    run = uuid.uuid4().hex[:12]
    migrate(write_config(tmp, "migrate", database, run, settings))
    deployed = Fleet(run, database, [])
    with ExitStack() as stack:
        for i in range(conductors):
            port = free_port()
            config = write_config(
                tmp, f"conductor{i}", database, run, f"{settings}\n[conductor]\nmetrics_port={port}"
            )
            log = tmp / f"conductor{i}.log"
            proc = stack.enter_context(
                process(
                    [*RUNNER, "--config-file", str(config)],
                    log,
                    logged(log, "serving topic"),
                    conductor_env,
                )
            )
            deployed.conductors.append(Member(proc, log, f"http://127.0.0.1:{port}/metrics"))
        for i in range(apis):
            port = free_port()
            config = write_config(
                tmp, f"api{i}", database, run, f"{settings}\n[api]\nport={port}\nworkers=1"
            )
            url = f"http://127.0.0.1:{port}"
            stack.enter_context(
                process(
                    [*RUNNER, "--api", "--config-file", str(config)],
                    tmp / f"api{i}.log",
                    answers(url),
                )
            )
            deployed.api_urls.append(url)
        yield deployed


def create_template(http: httpx.Client, name: str) -> str:
    template = http.post(
        "/v1/clustertemplates",
        json={
            "name": name,
            "coe": "swarm-mode",
            "image_id": fake_driver.IMAGE,
            "external_network_id": "public",
            "flavor_id": "m1.small",
            "master_flavor_id": "m1.small",
        },
    )
    assert template.status_code == 201, template.text
    return str(template.json()["uuid"])


def statuses(http: httpx.Client) -> dict[str, str]:
    """Every cluster's status, by uuid (one page: the tests stay below [api] max_limit)."""
    listed = http.get("/v1/clusters", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    return {c["uuid"]: c["status"] for c in listed.json()["clusters"]}


def scrape(url: str) -> dict[str, float]:
    """A Prometheus text page as {'name{labels}': value} (comments left out)."""
    text = httpx.get(url, timeout=10).text
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def metric(samples: dict[str, float], name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if all(found.get(k) == v for k, v in labels.items()):
            total += value
    return total
