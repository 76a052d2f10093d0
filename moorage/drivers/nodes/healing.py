"""Auto-healing by resize, for any COE: every group back to its own size.

Nodes the health report shows not Ready are replaced (removed the COE's way,
then made again); missing nodes are recreated; stopped ones were started by the
resize's repair. Masters are never replaced here, since that could cost the
control plane its quorum: a stopped one is restarted.
"""

from __future__ import annotations

from functools import partial

from moorage.drivers import steps
from moorage.drivers.base import ClusterResult, ClusterSpec, Driver, HealthReport, NodeGroupSpec
from moorage.drivers.nodes import layout
from moorage.drivers.steps import Progress, Step

READY_SUFFIX = ".Ready"


def down_nodes(report: HealthReport) -> set[str]:
    return {
        key[: -len(READY_SUFFIX)]
        for key, value in report.reason.items()
        if key.endswith(READY_SUFFIX) and value == "False"
    }


def heal_by_resize(
    driver: Driver, spec: ClusterSpec, report: HealthReport, progress: Progress
) -> ClusterResult:
    down = down_nodes(report)
    outcomes: list[ClusterResult] = [ClusterResult()]

    def heal(group: NodeGroupSpec) -> None:
        victims: list[str] = []
        if not layout.is_manager(group):
            names = {n.name for n in driver.provider.find_nodes(spec.uuid, group.name)}
            victims = sorted(down & names)
        outcomes.append(driver.resize_nodegroup(spec, group, group.node_count, victims, progress))

    groups = sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g))
    steps.run(progress, [Step(f"healing {g.name}", partial(heal, g)) for g in groups])
    return outcomes[-1]
