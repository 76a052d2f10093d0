"""A test double for the conductor flow: a driver with no provider behind it.

Real drivers need a Docker engine and take seconds per node; the conductor and
API tests only need something that honours the driver contract, takes a little
time, and can be told to fail at a named step. It never runs outside the tests.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Sequence
from functools import partial

from moorage import exceptions
from moorage.drivers import steps
from moorage.drivers.base import (
    ClusterResult,
    ClusterSpec,
    Driver,
    HealthReport,
    NodeGroupSpec,
    Progress,
    Provides,
    TemplateSpec,
)
from moorage.drivers.steps import Step
from moorage.objects.nodes import NodeRecord

NAME = "fake_test_driver"
IMAGE = "fake-image"
CATALOG_ENTRY = f"{IMAGE}:fakeos"


class FakeDriver(Driver):
    provides = (Provides("vm", "fakeos", "swarm-mode"), Provides("vm", "fakeos", "kubernetes"))
    fail_at: dict[str, str] = {}
    delay = 0.05
    calls: list[tuple[str, str]] = []
    _lock = threading.Lock()

    def _step(self, progress: Progress, spec: ClusterSpec, *names: str) -> None:
        """Run the named steps as a declared list (``moorage.drivers.steps``)."""
        steps.run(progress, [Step(name, partial(self._do, spec, name)) for name in names])

    def _do(self, spec: ClusterSpec, name: str) -> None:
        with self._lock:
            self.calls.append((name, spec.uuid))
        time.sleep(self.delay)
        reason = self.fail_at.get(name)
        if reason is not None:
            raise exceptions.DriverError(f"{name}: {reason}")

    def _result(
        self, spec: ClusterSpec, removed: dict[str, Sequence[str]] | None = None
    ) -> ClusterResult:
        """``removed``: the nodes to remove, by node group name."""
        removed = removed or {}
        nodes = {
            g.name: _nodes(spec, i, g, removed.get(g.name, ()))
            for i, g in enumerate(spec.nodegroups)
        }
        return ClusterResult(
            api_address=f"tcp://127.0.0.1:{20000 + hash(spec.uuid) % 10000}",
            stack_id=f"fake-{spec.uuid[:8]}",
            coe_version="fake-1.0",
            container_version="fake-1.0",
            node_addresses={
                name: [n.address or "" for n in group] for name, group in nodes.items()
            },
            nodes=nodes,
        )

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        self._step(progress, spec, "create network", "create nodes", "join nodes")
        return self._result(spec)

    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        self._step(progress, spec, "delete nodes")

    def resize_nodegroup(
        self,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: Sequence[str],
        progress: Progress,
    ) -> ClusterResult:
        self._step(progress, spec, f"resize {nodegroup.name}")
        nodegroup.node_count = node_count
        return self._result(spec, {nodegroup.name: nodes_to_remove})

    def upgrade_cluster(
        self,
        spec: ClusterSpec,
        template: TemplateSpec,
        max_batch_size: int,
        nodegroup: NodeGroupSpec,
        progress: Progress,
    ) -> ClusterResult:
        self._step(progress, spec, "upgrade")
        return self._result(spec)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        self._step(progress, spec, "rotate ca")

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        if image == "missing:latest":
            raise exceptions.Invalid(f"Image {image} is not on the conductor's Docker engine.")
        self._step(progress, spec, f"load {image}")
        return [f"{spec.name}-{g.name}-{n}" for g in spec.nodegroups for n in range(g.node_count)]

    def poll_health(self, spec: ClusterSpec) -> HealthReport:
        return HealthReport("HEALTHY", {"api": "ok"})


def _nodes(
    spec: ClusterSpec, index: int, group: NodeGroupSpec, nodes_to_remove: Sequence[str]
) -> list[NodeRecord]:
    """Node ``n`` of the group at ``index`` is ``10.0.<index>.<n + 2>``; the group's
    recorded addresses say which nodes exist. As the Swarm driver does, the named nodes
    go (an unknown name fails), then the highest-numbered, and new nodes take the
    lowest free numbers."""
    present = sorted(int(address.rsplit(".", 1)[1]) - 2 for address in group.node_addresses)
    numbers = {_node(spec, index, group, n).name: n for n in present}
    for name in nodes_to_remove:
        if name not in numbers:
            raise exceptions.DriverError(f"remove node {name}: not a node of {group.name}")
    kept = [n for name, n in numbers.items() if name not in nodes_to_remove][: group.node_count]
    free = (n for n in itertools.count() if n not in kept)
    kept += [next(free) for _ in range(group.node_count - len(kept))]
    return [_node(spec, index, group, n) for n in sorted(kept)]


def _node(spec: ClusterSpec, index: int, group: NodeGroupSpec, number: int) -> NodeRecord:
    name = f"{spec.name}-{group.name}-{number}"
    ids = (hashlib.sha256(name.encode()).hexdigest(),)
    return NodeRecord(name, ids, f"10.0.{index}.{number + 2}")


# What the entry point ``fake_test_driver`` names (tests/support/drivers.py); a test
# that needs the driver to behave otherwise replaces it (monkeypatch).
DRIVER: type[Driver] = FakeDriver
