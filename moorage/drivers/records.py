"""A COE driver composed with a provider whose nodes are records only (``noop``).

No COE runs on a record, so the COE's own steps (forming the swarm, draining,
waiting for Ready) have nothing to act on. What stays is everything the node
layer does, for real: node names, fixed addresses, which nodes a resize removes,
the published ``api_address``, and the COE's own rules on sizes, which the API
checks before anything is written. Operations report named steps as every driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from moorage.drivers.base import (
    ClusterResult,
    ClusterSpec,
    Driver,
    HealthReport,
    NodeGroupSpec,
    Progress,
    TemplateSpec,
)
from moorage.drivers.nodes import layout, provision, result
from moorage.drivers.nodes.session import Recipe, Session
from moorage.exceptions import DriverError

# A record runs nothing: no command, no certificates; masters "publish" port 443.
RECIPE = Recipe(default_image="moorage-node", command=[], api_port=443, tls_dir=None)


class RecordsDriver(Driver):
    def __init__(self, coe: Driver) -> None:
        super().__init__(coe.provider)
        self.coe = coe

    def node_limit(self) -> tuple[int, str]:
        return self.coe.node_limit()

    def validate_master_size(self, count: int) -> None:
        self.coe.validate_master_size(count)

    def validate_master_resize(self, count: int) -> None:
        self.coe.validate_master_resize(count)

    def validate_labels(self, labels: Mapping[str, str]) -> None:
        self.coe.validate_labels(labels)

    def validate_template(self, values: Mapping[str, Any]) -> None:
        self.coe.validate_template(values)

    def _session(self, spec: ClusterSpec) -> Session:
        return Session(spec, RECIPE, self.provider, need_tls=False)

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        with self._session(spec) as session:
            progress.step("creating the cluster network")
            provision.cluster_network(session)
            for group in sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g)):
                missing = group.node_count - len(session.nodes(group.name))
                if missing > 0:
                    progress.step(f"creating {missing} node(s) of {group.name}")
                    provision.add_nodes(session, group, missing)
            return result.collect(session)

    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        progress.step("removing the cluster's node records")
        self.provider.remove_cluster(spec.uuid)

    def resize_nodegroup(
        self,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: Sequence[str],
        progress: Progress,
    ) -> ClusterResult:
        if node_count < 0:
            raise DriverError(f"resize {nodegroup.name}: node_count {node_count} is negative")
        with self._session(spec) as session:
            present = session.nodes(nodegroup.name)
            prefix = layout.node_prefix(spec, nodegroup)
            victims = layout.pick_victims(prefix, present, node_count, nodes_to_remove, {})
            if victims:
                progress.step(f"removing {', '.join(n.name for n in victims)}")
                for victim in victims:
                    self.provider.remove_node(victim.name)
            missing = node_count - (len(present) - len(victims))
            if missing > 0:
                progress.step(f"creating {missing} node(s) of {nodegroup.name}")
                provision.add_nodes(session, nodegroup, missing)
            return result.collect(session)

    def delete_nodegroup(
        self, spec: ClusterSpec, nodegroup: NodeGroupSpec, progress: Progress
    ) -> ClusterResult:
        layout.check_removable(nodegroup)
        return self.resize_nodegroup(spec, nodegroup, 0, (), progress)

    def upgrade_cluster(
        self,
        spec: ClusterSpec,
        template: TemplateSpec,
        max_batch_size: int,
        nodegroup: NodeGroupSpec,
        progress: Progress,
    ) -> ClusterResult:
        labels = {**template.labels, **spec.labels, **nodegroup.labels}
        target = layout.image_ref(template, None, labels, RECIPE.default_image)
        with self._session(spec) as session:
            for old in session.nodes(nodegroup.name):
                progress.step(f"upgrading {old.name} to {target}")
                provision.replace_node(session, nodegroup, old, target)
            return result.collect(session)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        progress.step("no node holds a certificate: nothing to rotate")

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        with self._session(spec) as session:
            return [n.name for n in session.nodes() if n.state == "running"]

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        """Missing records are made again: a resize of every group to its own size."""
        outcome = ClusterResult()
        for group in spec.nodegroups:
            progress.step(f"healing {group.name}")
            outcome = self.resize_nodegroup(spec, group, group.node_count, (), progress)
        return outcome

    def poll_health(self, spec: ClusterSpec) -> HealthReport:
        with self._session(spec) as session:
            nodes = session.nodes()
        reason = {"api": "ok"} | {f"{n.name}.Ready": "True" for n in nodes}
        for group in spec.nodegroups:
            have = len([n for n in nodes if n.nodegroup == group.name])
            if have < group.node_count:
                reason[f"{group.name}.nodes"] = f"{have} of {group.node_count} nodes exist"
        unhealthy = any(key.endswith(".nodes") for key in reason)
        return HealthReport("UNHEALTHY" if unhealthy else "HEALTHY", reason)
