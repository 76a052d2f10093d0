"""Docker Swarm (swarm mode) clusters whose nodes are containers on the local Docker engine.

Each node is a container running its own Docker engine (``moorage.drivers.docker``);
the managers' Docker API is served with TLS from the cluster CA and published on
``127.0.0.1:<port>``, which is the cluster's ``api_address``. The engine is the
source of truth for which nodes exist (labels), so every operation starts from
what is really there and can be run again after a failure.

Labels honoured: ``node_image_tag`` (run nodes from ``<image>:<tag>``).
``docker_volume_size`` is accepted and ignored (a node's /var/lib/docker is a
host volume with no size of its own); other labels are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from moorage import exceptions
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
from moorage.drivers.docker import image as images
from moorage.drivers.docker import network, node
from moorage.drivers.swarm_docker import health, layout, membership, provision, result, rolling
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

LOG = logging.getLogger(__name__)
MASTER_SIZES = (1, 3, 5)


def _node_names(spec: ClusterSpec, group: NodeGroupSpec) -> set[str]:
    with Session(spec, need_tls=False) as session:
        return {n.name for n in session.nodes(group.name)}


class SwarmDockerDriver(Driver):
    """swarm-mode on the ``docker`` provider (templates: server_type vm, os debian)."""

    provides = (Provides("vm", "debian", "swarm-mode"),)
    # Every node has a fixed address on the cluster's one /24 bridge network.
    max_nodes = network.NODES_PER_NETWORK

    def validate_master_size(self, count: int) -> None:
        if count not in MASTER_SIZES:
            raise exceptions.Invalid(
                f"master nodegroup size of {count} is invalid, "
                "this driver supports 1, 3 or 5 masters."
            )

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        for note in layout.ignored_settings(spec):
            LOG.info("cluster %s: ignoring %s", spec.uuid, note)
        with Session(spec) as session:
            progress.step("creating the cluster network")
            provision.cluster_network(session)
            provision.repair(session)
            # masters first: the swarm is initialised on the first one
            for group in sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g)):
                missing = group.node_count - len(session.nodes(group.name))
                if missing > 0:
                    progress.step(f"creating {missing} node(s) of {group.name}")
                    provision.add_nodes(session, group, missing)
            membership.join_all(session, progress)
            return result.collect(session)

    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        with Session(spec, need_tls=False) as session:
            progress.step("removing node containers and volumes")
            node.remove_cluster(session.host, spec.uuid)
            progress.step("removing the cluster network")
            network.remove_owned(session.host, spec.uuid)

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
        with Session(spec) as session:
            provision.repair(session)
            present = session.nodes(nodegroup.name)
            swarm_ids = membership.swarm_ids_if_needed(session, present, nodes_to_remove)
            prefix = layout.node_prefix(spec, nodegroup)
            victims = membership.pick_victims(
                prefix, present, node_count, nodes_to_remove, swarm_ids
            )
            membership.remove(session, victims, progress)
            membership.add(session, nodegroup, node_count - (len(present) - len(victims)), progress)
            return result.collect(session)

    def delete_nodegroup(
        self, spec: ClusterSpec, nodegroup: NodeGroupSpec, progress: Progress
    ) -> ClusterResult:
        if layout.is_manager(nodegroup):
            raise DriverError(f"delete node group {nodegroup.name}: the master group cannot go")
        return self.resize_nodegroup(spec, nodegroup, 0, (), progress)

    def upgrade_cluster(
        self,
        spec: ClusterSpec,
        template: TemplateSpec,
        max_batch_size: int,
        nodegroup: NodeGroupSpec,
        progress: Progress,
    ) -> ClusterResult:
        with Session(spec) as session:
            rolling.upgrade(session, template, nodegroup, max_batch_size, progress)
            return result.collect(session)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        with Session(spec) as session:
            rolling.rotate_ca(session, progress)

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        with Session(spec) as session:
            if not images.exists(session.host, image):
                raise exceptions.Invalid(
                    f"Image {image} is not on the conductor's Docker engine; build or load it "
                    "there first (there is no registry to pull from)."
                )
            running = [n for n in session.nodes() if n.state == "running"]
            for target in running:
                progress.step(f"loading {image} into {target.name}")
                images.copy_image(session.host, session.client(target), image)
            return [n.name for n in running]

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        """Stopped nodes are started again, workers that are not Ready are replaced and
        missing nodes recreated: a resize of every group to its own size. Managers are
        never replaced here (that could cost the quorum); a stopped one is restarted."""
        down = {
            key[: -len(".Ready")]
            for key, value in report.reason.items()
            if key.endswith(".Ready") and value == "False"
        }
        outcome = ClusterResult()
        for group in sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g)):
            victims = [] if layout.is_manager(group) else sorted(down & _node_names(spec, group))
            progress.step(f"healing {group.name}")
            outcome = self.resize_nodegroup(spec, group, group.node_count, victims, progress)
        return outcome

    def poll_health(self, spec: ClusterSpec) -> HealthReport | None:
        try:
            session = Session(spec)
        except DriverError as exc:
            return health.unknown(exc)
        with session:
            return health.report(session)
