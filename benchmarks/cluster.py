"""Swarm cluster operations: the driver against the same steps done by hand with the CLI.

For 1, 3 and 5 node clusters (1 manager + workers, TLS on) this times create and
delete, on the 3 node cluster resize (+1 worker, then -1 worker), and after the 5
node cluster has settled the memory of each node container (``docker stats``).
Each is done by ``SwarmDockerDriver`` and by the research recipe's ``docker`` CLI
commands (shared/research/swarm-on-docker.md section 4: network create, per node
create + cp certificates + start, wait for the TLS API, swarm init, join, wait
until ``node ls`` says Ready), which is the floor. Both use the driver's node
image, the same container options and dockerd arguments, no CPU or memory limit.
The two are interleaved, several repetitions, medians reported with the ratio
driver/floor. Writes benchmarks/results/cluster.json and .md. Not a test: nothing
is asserted.

    .venv/bin/python benchmarks/cluster.py [--reps 3] [--settle 10]

``--coe kubernetes`` measures Kubernetes clusters instead (``benchmarks/kubernetes.py``,
the same as ``make bench-k8s``; its settle default is 20 s there, 10 s here).
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import kubernetes  # noqa: E402
from benchmarks.api import machine, save  # noqa: E402
from benchmarks.measure import arguments, memory_mib, run, timed, until  # noqa: E402
from moorage.certs.authority import KeyPair, generate_ca, issue_client_cert  # noqa: E402
from moorage.drivers.base import CaBundle, ClusterSpec  # noqa: E402
from moorage.drivers.nodes import credentials  # noqa: E402
from moorage.drivers.providers.docker import host as docker_host  # noqa: E402
from moorage.drivers.providers.docker import image  # noqa: E402
from moorage.drivers.providers.docker.labels import CLUSTER  # noqa: E402
from moorage.drivers.swarm_docker import node_config as layout  # noqa: E402
from moorage.drivers.swarm_docker.driver import SwarmDockerDriver  # noqa: E402
from tests.real.test_swarm_driver import Steps, make_spec  # noqa: E402

SIZES = (1, 3, 5)
BENCH_LABEL = "moorage.benchmark"
NODE_OPTS = [
    "--cap-add=ALL",
    "--cap-drop=SYS_RESOURCE",
    "--security-opt=seccomp=unconfined",
    "--security-opt=apparmor=unconfined",
    "--security-opt=systempaths=unconfined",
    "--cgroupns=private",
    "--restart=unless-stopped",
]


class HandMade:
    """One cluster built with the docker CLI exactly as the research recipe does it."""

    def __init__(self, ca: KeyPair, tmp: Path) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.ca = ca
        self.pki = tmp / self.name
        self.pki.mkdir()
        client = issue_client_cert(ca, "bench")
        for file, text in (("ca.pem", ca.cert_pem), ("cert.pem", client.cert_pem)):
            (self.pki / file).write_text(text)
        (self.pki / "key.pem").write_text(client.key_pem)
        self.tls = [
            "--tlsverify",
            f"--tlscacert={self.pki / 'ca.pem'}",
            f"--tlscert={self.pki / 'cert.pem'}",
            f"--tlskey={self.pki / 'key.pem'}",
        ]
        self.nodes: dict[str, str] = {}  # name -> ip
        self.subnet = ""
        self.args = layout.dockerd_args(True, make_spec(None, "x", 0).template)

    def docker_at(self, name: str, *args: str) -> str:
        return run("docker", *self.tls, "-H", f"tcp://{self.nodes[name]}:{layout.API_PORT}", *args)

    def _network(self) -> None:
        for third in range(100, 128):  # below the driver's range
            subnet = ipaddress.ip_network(f"192.168.{third}.0/24")
            try:
                run(
                    "docker", "network", "create", "--driver", "bridge", f"--subnet={subnet}",
                    f"--gateway={subnet.network_address + 1}", f"--label={BENCH_LABEL}={self.name}",
                    self.name,
                )  # fmt: skip
            except RuntimeError:
                continue
            self.subnet = str(subnet)
            return
        raise RuntimeError("no free /24 in 192.168.100-127")

    def _start_node(self, name: str, manager: bool) -> None:
        hosts = ipaddress.ip_network(self.subnet).hosts()
        used = set(self.nodes.values())
        ip = next(str(h) for h in hosts if int(h.packed[3]) >= 10 and str(h) not in used)
        self.nodes[name] = ip
        files = credentials.server_files(
            CaBundle(self.ca.cert_pem, self.ca.key_pem), name, ip, layout.TLS_DIR
        )
        root = self.pki / name  # the files at their paths in the node, copied in at once
        for path, (data, mode) in files.items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(mode)
        publish = [f"--publish=127.0.0.1::{layout.API_PORT}"] if manager else []
        env = [f"--env={k}={v}" for k, v in layout.NODE_ENVIRONMENT.items()]
        run(
            "docker", "create", *NODE_OPTS, *publish, *env, f"--name={name}", f"--hostname={name}",
            f"--network={self.name}", f"--ip={ip}", f"--label={BENCH_LABEL}={self.name}",
            f"--volume={name}-var:/var/lib/docker", image.NODE_IMAGE, *self.args,
        )  # fmt: skip
        run("docker", "cp", f"{root}/.", f"{name}:/")
        run("docker", "start", name)

    def _wait_api(self, name: str) -> None:
        until(lambda: bool(self.docker_at(name, "version", "--format", "{{.Server.Version}}")))

    def _join(self, name: str) -> None:
        manager = f"{self.name}-m0"
        token = self.docker_at(manager, "swarm", "join-token", "-q", "worker").strip()
        ip = self.nodes[name]
        self.docker_at(
            name, "swarm", "join", "--token", token, f"--advertise-addr={ip}",
            f"--listen-addr={ip}:{layout.SWARM_PORT}", f"{self.nodes[manager]}:{layout.SWARM_PORT}",
        )  # fmt: skip

    def _wait_ready(self) -> None:
        manager = f"{self.name}-m0"

        def ready() -> bool:
            states = self.docker_at(manager, "node", "ls", "--format", "{{.Status}}").split()
            return states.count("Ready") == len(self.nodes)

        until(ready)

    def create(self, size: int) -> None:
        self._network()
        names = [f"{self.name}-m0"] + [f"{self.name}-w{i}" for i in range(size - 1)]
        for index, name in enumerate(names):
            self._start_node(name, manager=index == 0)
        for name in names:
            self._wait_api(name)
        ip = self.nodes[names[0]]
        self.docker_at(
            names[0], "swarm", "init", f"--advertise-addr={ip}",
            f"--listen-addr={ip}:{layout.SWARM_PORT}",
        )  # fmt: skip
        for name in names[1:]:
            self._join(name)
        self._wait_ready()

    def add_worker(self) -> None:
        name = f"{self.name}-w{len(self.nodes) - 1}"
        self._start_node(name, manager=False)
        self._wait_api(name)
        self._join(name)
        self._wait_ready()

    def remove_worker(self) -> None:
        name = sorted(n for n in self.nodes if "-w" in n)[-1]
        manager = f"{self.name}-m0"
        node_id = self.docker_at(manager, "node", "inspect", name, "-f", "{{.ID}}").strip()
        self.docker_at(manager, "node", "update", "--availability", "drain", node_id)
        until(
            lambda: (
                not self.docker_at(
                    manager, "node", "ps", node_id, "--filter", "desired-state=running", "-q"
                ).strip()
            ),
            interval=0.2,
        )
        run("docker", "rm", "-f", "-v", name)
        self.docker_at(manager, "node", "rm", "--force", node_id)
        run("docker", "volume", "rm", f"{name}-var")
        del self.nodes[name]

    def delete(self) -> None:
        ids = run("docker", "ps", "-aq", f"--filter=label={BENCH_LABEL}={self.name}").split()
        if ids:
            run("docker", "rm", "-f", "-v", *ids)
        volumes = [f"{n}-var" for n in self.nodes]
        if volumes:
            subprocess.run(["docker", "volume", "rm", *volumes], capture_output=True)
        subprocess.run(["docker", "network", "rm", self.name], capture_output=True)
        self.nodes = {}

    def node_names(self) -> list[str]:
        return list(self.nodes)


class ByDriver:
    """The same operations through ``SwarmDockerDriver``."""

    def __init__(self, ca: KeyPair, tmp: Path) -> None:
        self.driver = SwarmDockerDriver()
        self.ca = ca
        self.spec: ClusterSpec | None = None

    def create(self, size: int) -> None:
        self.spec = make_spec(self.ca, "bench", workers=size - 1)
        for group in self.spec.nodegroups:
            group.flavor = None  # no limits, like the hand-made nodes
        self.driver.create_cluster(self.spec, Steps())

    def _resize(self, delta: int) -> None:
        assert self.spec is not None
        group = self.spec.nodegroup("default-worker")
        group.node_count += delta
        self.driver.resize_nodegroup(self.spec, group, group.node_count, [], Steps())

    def add_worker(self) -> None:
        self._resize(+1)

    def remove_worker(self) -> None:
        self._resize(-1)

    def delete(self) -> None:
        if self.spec is not None:
            self.driver.delete_cluster(self.spec, Steps())

    def node_names(self) -> list[str]:
        assert self.spec is not None
        host = docker_host.local()
        try:
            label: dict[str, str | list[str] | bool] = {"label": f"{CLUSTER}={self.spec.uuid}"}
            return sorted(str(c.name) for c in host.containers.list(filters=label))
        finally:
            host.close()


@contextlib.contextmanager
def cluster_of(kind: type[HandMade] | type[ByDriver], ca: KeyPair, tmp: Path) -> Iterator[Any]:
    made = kind(ca, tmp)
    try:
        yield made
    finally:
        made.delete()  # again after a timed delete: a no-op, and a cleanup after a failure


def one_round(
    kind: type[HandMade] | type[ByDriver],
    ca: KeyPair,
    tmp: Path,
    samples: dict[str, list[float]],
    memory: dict[str, list[float]],
    settle: float,
) -> None:
    for size in SIZES:
        with cluster_of(kind, ca, tmp) as made:
            timed(samples, f"create {size} node(s)", functools.partial(made.create, size))
            if size == 3:
                timed(samples, "resize +1 worker (3 -> 4)", made.add_worker)
                timed(samples, "resize -1 worker (4 -> 3)", made.remove_worker)
            if size == max(SIZES):
                time.sleep(settle)
                names = made.node_names()
                for name, mib in memory_mib(names).items():
                    role = "manager" if name.endswith(("-m0", "-master-0")) else "worker"
                    memory.setdefault(role, []).append(round(mib, 1))
            timed(samples, f"delete {size} node(s)", made.delete)


def summarise(driver: dict[str, list[float]], floor: dict[str, list[float]]) -> list[Any]:
    rows = []
    for op in driver:
        d, f = statistics.median(driver[op]), statistics.median(floor[op])
        rows.append(
            {
                "operation": op,
                "driver_s": driver[op],
                "floor_s": floor[op],
                "driver_median_s": round(d, 2),
                "floor_median_s": round(f, 2),
                "ratio": round(d / f, 2),
            }
        )
    return rows


def write(results: dict[str, Any]) -> None:
    lines = [
        f"# Swarm cluster operations: driver vs. docker CLI by hand ({results['date']})",
        "",
        f"Machine: {results['machine']}, Docker {results['docker']}. Load average before/after: "
        f"{results['load_before']} / {results['load_after']} (a shared machine: other "
        f"test runs were active). {results['reps']} repetitions, medians; 1 manager + workers, "
        "TLS on, the driver's node image and container options for both. Floor = the "
        "research recipe's CLI commands (sequential creates and joins, 0.1 s polling).",
        "",
        "| operation | driver s | floor s | driver/floor |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in results["operations"]:
        lines.append(
            f"| {r['operation']} | {r['driver_median_s']} | {r['floor_median_s']} | {r['ratio']} |"
        )
    lines += [
        "",
        "| memory per node (docker stats, 5-node cluster settled) | driver MiB | floor MiB |",
    ]
    lines += ["| --- | ---: | ---: |"]
    for role in ("manager", "worker"):
        d, f = results["memory_mib"]["driver"], results["memory_mib"]["floor"]
        lines.append(
            f"| {role} | {statistics.median(d[role]):.1f} | {statistics.median(f[role]):.1f} |"
        )
    if results.get("notes"):
        lines += ["", *results["notes"]]
    save("cluster", results, lines)


def main() -> None:
    args = arguments(__doc__ or "", 10)
    if args.coe == "kubernetes":
        kubernetes.measure(args)
        return
    host = docker_host.local()
    image.build(client=host)  # cached: nothing happens when the node image exists
    version = host.version()["Version"]
    host.close()
    ca = generate_ca("moorage benchmark")
    load_before = os.getloadavg()
    samples: dict[str, dict[str, list[float]]] = {"driver": {}, "floor": {}}
    memory: dict[str, dict[str, list[float]]] = {"driver": {}, "floor": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for kind, key in ((ByDriver, "driver"), (HandMade, "floor")):
                print(f"round {rep + 1}/{args.reps}: {key}", flush=True)
                one_round(kind, ca, Path(tmp), samples[key], memory[key], args.settle)
    write(
        {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "docker": version,
            "reps": args.reps,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "operations": summarise(samples["driver"], samples["floor"]),
            "memory_mib": memory,
            "notes": args.note,
        }
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
