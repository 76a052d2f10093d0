"""Kubernetes cluster operations by ``KubernetesDriver`` on the real local engine.

Each repetition makes a cluster of 1 master alone (kind's one-node shape), then one
of 1 master + 2 workers, then one of 3 masters behind the load balancer + 1 worker
(no flavor, so no CPU or memory limit; vxlan flannel), and times:

* create (all three), until the driver returns (it waits for every node Ready and CoreDNS rolled
  out), and until CoreDNS answers: from inside the master node container a DNS query
  (UDP, by a few lines of Perl, the node image has no DNS client) for
  ``kubernetes.default.svc.cluster.local`` sent to the DNS Service's ClusterIP,
  which kube-proxy's rules forward to a CoreDNS pod over the pod network; the
  answer must be the ``kubernetes`` Service's ClusterIP;
* the first control plane Ready: the master Node's Ready condition
  (``lastTransitionTime``, 1 s resolution) minus the start of create;
* every step the driver announces (its ``Progress``), as the time to the next;
* on the 1 + 2 cluster: memory per node (``docker stats``) once it has settled;
  add a worker (resize 2 -> 3), remove one (3 -> 2, naming worker 0), delete.

Medians over the repetitions, compared with the figure published for kind's one-node
cluster. Everything the cluster made is removed after each repetition, also when it
fails. Writes benchmarks/results/kubernetes.json and .md. Not a test.

    .venv/bin/python benchmarks/kubernetes.py [--reps 3] [--settle 20]
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api import machine, save  # noqa: E402
from benchmarks.measure import arguments, docker_version, memory_mib, run, timed, until  # noqa: E402
from moorage.certs.authority import generate_ca  # noqa: E402
from moorage.drivers.base import CaBundle, ClusterSpec, NodeGroupSpec, TemplateSpec  # noqa: E402
from moorage.drivers.kubernetes import network  # noqa: E402
from moorage.drivers.kubernetes.driver import KubernetesDriver  # noqa: E402
from moorage.drivers.kubernetes.session import Session  # noqa: E402
from moorage.drivers.nodes import layout  # noqa: E402
from moorage.drivers.providers.docker import host as docker_host  # noqa: E402
from moorage.drivers.providers.docker.provider import DockerProvider  # noqa: E402
from tests.real.test_swarm_driver import leftovers  # noqa: E402

# kind's one-node cluster with a prebuilt node image to a Ready control plane, as
# published (the figure issue 13 quotes); not measured here.
KIND_SECONDS = (12.0, 17.0)
QUERY = "kubernetes.default.svc.cluster.local"
ALONE, FULL = "1 master alone", "1 master + 2 workers"
HA = "3 masters + load balancer + 1 worker"
# One A query, one answer expected: its address is the last four bytes.
DIG = r"""
use IO::Socket::INET;
my ($server, $name) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => "$server:53", Proto => "udp") or die "socket: $!\n";
my $q = pack("n6", int(rand(65535)), 0x0100, 1, 0, 0, 0)
  . join("", map { chr(length $_) . $_ } split /\./, $name) . "\0" . pack("n2", 1, 1);
$s->send($q) or die "send: $!\n";
my $in = ""; vec($in, fileno($s), 1) = 1;
select($in, undef, undef, 1) or die "no answer in 1 s\n";
my $r; $s->recv($r, 512);
my (undef, $flags, undef, $answers) = unpack("n4", $r);
die "rcode " . ($flags & 15) . "\n" if $flags & 15;
die "no answer record\n" unless $answers;
print join(".", unpack("C4", substr($r, -4))), "\n";
"""


class Clock:
    """A ``Progress`` noting when each announced step (or detail) starts."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # node names in step names, made the same in every cluster
        self.marks: list[tuple[str, float]] = []

    def step(self, name: str) -> None:
        self.marks.append((name.replace(self.prefix, "<cluster>-"), time.perf_counter()))

    def durations(self) -> dict[str, float]:
        """Each step's time to the next one (the last: to now), summed per name."""
        ends = [t for _, t in self.marks[1:]] + [time.perf_counter()]
        found: dict[str, float] = {}
        for (name, start), end in zip(self.marks, ends, strict=True):
            found[name] = round(found.get(name, 0.0) + end - start, 3)
        self.marks = []
        return found


def make_spec(workers: int, masters: int = 1) -> ClusterSpec:
    ca = generate_ca("moorage benchmark")
    template = TemplateSpec("t", "bench", "kubernetes", "vm", "debian", "moorage-k8s-node")
    groups = [
        NodeGroupSpec(str(uuid.uuid4()), "default-master", "master", masters, None, None, True),
        NodeGroupSpec(str(uuid.uuid4()), "default-worker", "worker", workers, None, None, True),
    ]
    bundle = CaBundle(ca.cert_pem, ca.key_pem)
    spec = ClusterSpec(str(uuid.uuid4()), "k8sbench", "p", template, groups, bundle)
    spec.master_lb_enabled = masters > 1
    return spec


class Cluster:
    """One benchmark cluster and the measurements taken on it."""

    def __init__(self, driver: KubernetesDriver, workers: int, masters: int = 1) -> None:
        self.driver = driver
        self.spec = make_spec(workers, masters)
        self.clock = Clock(layout.cluster_prefix(self.spec))
        self.workers = self.spec.nodegroup("default-worker")
        self.master = layout.node_prefix(self.spec, self.spec.nodegroup("default-master")) + "0"
        self.kube_version = ""

    def create(self) -> None:
        self.kube_version = self.driver.create_cluster(self.spec, self.clock).coe_version or ""

    def dns_answers(self) -> None:
        expected = str(ipaddress.ip_network(network.SERVICE_CIDR)[1])
        server = network.dns_service_ip()

        def answered() -> bool:
            out = run("docker", "exec", self.master, "perl", "-e", DIG, server, QUERY)
            return out.strip() == expected

        until(answered, timeout=60, interval=0.2)

    def ready_after(self, started: float) -> dict[str, float]:
        """Seconds from ``started`` (wall clock) to each node's Ready transition."""
        with Session(self.spec, self.driver.provider) as session:
            nodes = session.kube_nodes()
        found = {}
        for name, node in nodes.items():
            for condition in node["status"]["conditions"]:
                if condition["type"] == "Ready" and condition["status"] == "True":
                    when = datetime.fromisoformat(condition["lastTransitionTime"])
                    found[name] = round(when.timestamp() - started, 1)
        return found

    def resize(self, count: int, remove: tuple[str, ...] = ()) -> None:
        self.driver.resize_nodegroup(self.spec, self.workers, count, remove, self.clock)
        self.workers.node_count = count

    def remove_first_worker(self) -> None:
        self.resize(
            self.workers.node_count - 1, (layout.node_prefix(self.spec, self.workers) + "0",)
        )

    def delete(self) -> None:
        self.driver.delete_cluster(self.spec, self.clock)

    def node_names(self) -> list[str]:
        return [n.name for n in self.driver.provider.find_nodes(self.spec.uuid)]


@contextlib.contextmanager
def cluster(driver: KubernetesDriver, workers: int, masters: int = 1) -> Iterator[Cluster]:
    made = Cluster(driver, workers, masters)
    try:
        yield made
    finally:
        made.driver.delete_cluster(made.spec, Clock(""))  # a no-op after a timed delete
        host = docker_host.local()
        try:
            left = leftovers(host, made.spec.uuid)
        finally:
            host.close()
        if left:
            raise RuntimeError(f"left behind: {', '.join(left)}")


def measure_create(made: Cluster, shape: str, samples: dict[str, Any]) -> None:
    """Create, then the times to the driver's return, to DNS answering and to Ready."""
    ops = samples["operations"]
    started_wall, started = time.time(), time.perf_counter()
    made.create()
    ops.setdefault(f"create {shape}, driver returns", []).append(
        round(time.perf_counter() - started, 3)
    )
    samples["steps"].setdefault(f"create {shape}", []).append(made.clock.durations())
    made.dns_answers()
    ops.setdefault(f"create {shape}, until CoreDNS answers", []).append(
        round(time.perf_counter() - started, 3)
    )
    ready = made.ready_after(started_wall)
    ops.setdefault(f"{shape}: first control plane Ready (master Node Ready)", []).append(
        ready[made.master]
    )
    ops.setdefault(f"{shape}: every node Ready (last Node Ready)", []).append(max(ready.values()))
    samples["kube_version"] = made.kube_version


def one_round(driver: KubernetesDriver, settle: float, samples: dict[str, Any]) -> None:
    with cluster(driver, 0) as alone:  # kind's shape: one node, the control plane
        measure_create(alone, ALONE, samples)
    with cluster(driver, 2) as made:
        measure_create(made, FULL, samples)
        time.sleep(settle)
        for name, mib in memory_mib(made.node_names()).items():
            role = "master" if "-master-" in name else "worker"
            samples["memory_mib"].setdefault(role, []).append(round(mib, 1))
        for op, fn in (
            ("add a worker (2 -> 3)", lambda: made.resize(3)),
            ("remove worker 0 (3 -> 2)", made.remove_first_worker),
            (f"delete {FULL}", made.delete),
        ):
            timed(samples["operations"], op, fn)
            samples["steps"].setdefault(op, []).append(made.clock.durations())
    with cluster(driver, 1, masters=3) as ha:
        measure_create(ha, HA, samples)


def step_medians(runs: list[dict[str, float]]) -> dict[str, float]:
    names = list(dict.fromkeys(name for one in runs for name in one))
    return {n: round(statistics.median(r.get(n, 0.0) for r in runs), 2) for n in names}


def kind_ratio(seconds: float) -> str:
    low, high = (round(seconds / k, 2) for k in reversed(KIND_SECONDS))
    return f"{low}-{high}"


def report(results: dict[str, Any]) -> list[str]:
    ops = results["medians_s"]
    first = ops[f"{ALONE}: first control plane Ready (master Node Ready)"]
    alone = ops[f"create {ALONE}, until CoreDNS answers"]
    whole = ops[f"create {FULL}, until CoreDNS answers"]
    lines = [
        f"# Kubernetes cluster operations by KubernetesDriver ({results['date']})",
        "",
        f"Machine: {results['machine']}, Docker {results['docker']}, Kubernetes "
        f"{results['kube_version']} (node image moorage-k8s-node). Load average "
        f"before/after: {results['load_before']} / {results['load_after']}. "
        f"{results['reps']} repetitions, medians; 1 master alone, 1 master + 2 workers, "
        "and 3 masters behind the load balancer + 1 worker (a fresh cluster each), vxlan "
        "flannel, "
        "no CPU or memory limit. CoreDNS answers = a DNS query for "
        f"`{QUERY}` from the master node to the DNS Service's ClusterIP "
        f"({network.dns_service_ip()}) returns the `kubernetes` Service's address.",
        "",
        "| operation | median s | samples s |",
        "| --- | ---: | --- |",
    ]
    for op, median in ops.items():
        lines.append(f"| {op} | {median} | {', '.join(map(str, results['samples_s'][op]))} |")
    lines += [
        "",
        f"kind's one-node cluster reaches a Ready control plane in about {KIND_SECONDS[0]:g}-"
        f"{KIND_SECONDS[1]:g} s with a prebuilt node image (kind's published figure, not "
        f"measured here). Here, the same shape (one master, no worker): a Ready control "
        f"plane in {first} s ({kind_ratio(first)} x kind's), CoreDNS answering at {alone} s "
        f"({kind_ratio(alone)} x); 1 master + 2 workers with CoreDNS answering: {whole} s "
        f"({kind_ratio(whole)} x kind's one node).",
        "",
        "| memory per node (docker stats, settled) | median MiB | samples MiB |",
        "| --- | ---: | --- |",
    ]
    for role, values in results["memory_mib"].items():
        lines.append(
            f"| {role} | {statistics.median(values):.1f} | {', '.join(map(str, values))} |"
        )
    for op, medians in results["step_medians_s"].items():
        lines += ["", f"Steps of {op} (median s to the next step):", ""]
        lines += [f"- {name}: {seconds}" for name, seconds in medians.items()]
    if results.get("notes"):
        lines += ["", *results["notes"]]
    return lines


def main() -> None:
    measure(arguments(__doc__ or "", 20))


def measure(args: argparse.Namespace) -> None:
    """The whole benchmark; ``benchmarks/cluster.py --coe kubernetes`` runs it too."""
    version = docker_version()
    driver = KubernetesDriver(DockerProvider())
    load_before = [round(x, 2) for x in os.getloadavg()]
    samples: dict[str, Any] = {"operations": {}, "steps": {}, "memory_mib": {}}
    for rep in range(args.reps):
        print(f"round {rep + 1}/{args.reps}", flush=True)
        one_round(driver, args.settle, samples)
    results = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "docker": version,
        "kube_version": samples["kube_version"],
        "reps": args.reps,
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "kind_published_s": KIND_SECONDS,
        "medians_s": {
            op: round(statistics.median(v), 2) for op, v in samples["operations"].items()
        },
        "samples_s": samples["operations"],
        "memory_mib": samples["memory_mib"],
        "step_medians_s": {op: step_medians(runs) for op, runs in samples["steps"].items()},
        "steps_s": samples["steps"],
        "notes": args.note,
    }
    save("kubernetes", results, report(results))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
