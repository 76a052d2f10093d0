"""Docker Swarm (swarm mode) clusters on the nodes of a provider.

Each node runs its own Docker engine; the managers' Docker API is served with TLS
from the cluster CA and published where the provider says users reach it, which
is the cluster's ``api_address`` (``127.0.0.1:<port>`` with the ``docker``
provider). The provider is the source of truth for which nodes exist, so every
operation starts from what is really there and can be run again after a failure.
Everything here is Swarm's; nodes are made through ``moorage.drivers.nodes``.

Labels honoured: ``node_image_tag`` (run nodes from ``<image>:<tag>``).
``docker_volume_size`` is accepted and ignored (a node's /var/lib/docker is a
host volume with no size of its own); other labels are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from moorage import exceptions
from moorage.drivers import dockerapi, steps
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
from moorage.drivers.nodes import addresses, healing, layout, provision, result
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
from moorage.drivers.swarm_docker import health, membership, rolling, swarm
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

LOG = logging.getLogger(__name__)
MASTER_SIZES = (1, 3, 5)


def _result(session: Session) -> ClusterResult:
    """The node layer's result plus the swarm's version and node ids, read from a manager."""
    outcome = result.collect(session)
    if outcome.api_address:
        _, manager = swarm.find_manager(session)
        version = dockerapi.call("get the node engine's version", manager.version)
        outcome.coe_version = outcome.container_version = str(version.get("Version", ""))
        result.with_ids(outcome, swarm.node_ids(manager))
    return outcome


class SwarmDockerDriver(Driver):
    """swarm-mode on a provider's nodes (templates: server_type vm, os debian)."""

    provides = (Provides("vm", "debian", "swarm-mode"),)
    # Every node has a fixed address on the cluster's one /24 network.
    max_nodes = addresses.NODES_PER_NETWORK

    def session(self, spec: ClusterSpec, need_tls: bool = True) -> Session:
        return Session(spec, need_tls, self.provider)

    def validate_master_size(self, count: int) -> None:
        if count not in MASTER_SIZES:
            raise exceptions.Invalid(
                f"master nodegroup size of {count} is invalid, "
                "this driver supports 1, 3 or 5 masters."
            )

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        for note in layout.ignored_settings(spec):
            LOG.info("cluster %s: ignoring %s", spec.uuid, note)
        with self.session(spec) as session:
            # masters first: the swarm is initialised on the first one
            groups = sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g))
            steps.run(
                progress,
                [
                    Step(
                        "creating the cluster network",
                        partial(provision.network_and_repair, session),
                    ),
                    *(
                        Step(f"creating the nodes of {g.name}", partial(provision.fill, session, g))
                        for g in groups
                    ),
                    *membership.join_steps(session, progress),
                ],
            )
            return _result(session)

    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        with self.session(spec, need_tls=False) as session:

            def remove_nodes() -> None:
                swarm.parallel(lambda n: self.provider.remove_node(n.name), session.nodes())

            network = partial(self.provider.remove_cluster, spec.uuid)
            steps.run(
                progress,
                [
                    Step("removing node containers and volumes", remove_nodes),
                    Step("removing the cluster network", network),
                ],
            )

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
        with self.session(spec) as session:
            provision.repair(session)
            present = session.nodes(nodegroup.name)
            swarm_ids = membership.swarm_ids_if_needed(session, present, nodes_to_remove)
            prefix = layout.node_prefix(spec, nodegroup)
            victims = layout.pick_victims(prefix, present, node_count, nodes_to_remove, swarm_ids)
            count = node_count - (len(present) - len(victims))
            steps.run(
                progress,
                membership.remove_steps(session, victims)
                + membership.add_steps(session, nodegroup, count, progress),
            )
            return _result(session)

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
        with self.session(spec) as session:
            rolling.upgrade(session, template, nodegroup, max_batch_size, progress)
            return _result(session)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        with self.session(spec) as session:
            rolling.rotate_ca(session, progress)

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        with self.session(spec) as session:
            if not self.provider.image_exists(image):
                raise exceptions.Invalid(
                    f"Image {image} is not on the conductor's Docker engine; build or load it "
                    "there first (there is no registry to pull from)."
                )
            running = [n for n in session.nodes() if n.state == "running"]
            archive = self.provider.image_archive(image) if running else b""

            def load(target: Node) -> None:
                into = session.client(target).images.load
                dockerapi.call(f"load image {image} into node {target.name}", into, archive)

            loads = [Step(f"loading {image} into {n.name}", partial(load, n)) for n in running]
            steps.run(progress, loads)
            return [n.name for n in running]

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        return healing.heal_by_resize(self, spec, report, progress)

    def poll_health(self, spec: ClusterSpec) -> HealthReport | None:
        try:
            with self.session(spec) as session:
                return health.report(session)
        except DriverError as exc:
            return health.unknown(exc)
