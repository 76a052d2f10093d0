"""Kubernetes clusters on a provider's nodes (templates: server_type vm, os debian).

The API server is served with TLS from the cluster CA and published where the
provider says users reach it (``https://127.0.0.1:<port>`` with ``docker``): the
cluster's ``api_address``. With ``master_lb_enabled`` (which more than one master
requires) the published port is the load balancer's (``nodes.balancer``) and is
also what nodes reach the control plane on, so losing a master loses no endpoint;
the masters join ``--control-plane`` one at a time, each adding a member to the
stacked etcd. The provider is the source of truth for which nodes
exist, the API server for which are members, so every operation starts from
what is really there and can be run again after a failure.

Labels honoured: ``kube_tag`` (the Kubernetes version, i.e. the node image's tag),
``flannel_network_cidr``, ``flannel_network_subnetlen``, ``flannel_backend``
(``vxlan``, ``host-gw``), ``node_image_tag``; ``auto_healing_enabled`` as every driver.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

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
from moorage.drivers.kubernetes import (
    addons,
    bootstrap,
    health,
    membership,
    network,
    node_config,
    rotation,
    upgrade,
)
from moorage.drivers.kubernetes.session import Session
from moorage.drivers.nodes import addresses, balancer, healing, layout, provision, result
from moorage.drivers.nodes.parallel import parallel
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
from moorage.exceptions import DriverError, Invalid

LOG = logging.getLogger(__name__)
LOAD_PATH = "/var/lib/containerd/moorage-load.tar"


def _addons(session: Session) -> None:
    pods = network.pod_network(layout.labels(session.spec))
    addons.apply(session, bootstrap.first_master(session), pods, bootstrap.endpoint(session))


def _result(session: Session) -> ClusterResult:
    outcome = result.collect(session)
    if outcome.api_address:
        # the API server's own word: after an upgrade the nodes' images say the same
        served = session.kubectl_json(["version"], "read the API server's version")
        outcome.coe_version = served["serverVersion"]["gitVersion"]
        first = bootstrap.first_master(session)
        outcome.container_version = session.run(
            first, ["containerd", "--version"], "read containerd's version"
        ).split()[2]
    return outcome


def _ensure_balancer(session: Session) -> None:
    """The load balancer there, running and pointed at the masters, when the cluster
    wants one (a resize or a heal brings back one stopped or removed meanwhile)."""
    if not balancer.wanted(session.spec):
        return
    versions = session.versions()
    if not versions.balancer_image:
        raise DriverError(
            f"the node image of {versions.kube} has no load balancer: rebuild it with "
            f"`moorage image build --coe kubernetes --kube-tag {versions.kube} --force`"
        )
    balancer.ensure(session, versions.balancer_image)


def _balancer_steps(session: Session) -> list[Step]:
    if not balancer.wanted(session.spec):
        return []
    return [Step("creating the API load balancer", partial(_ensure_balancer, session))]


class KubernetesDriver(Driver):
    """Kubernetes with kubeadm on a provider's nodes."""

    provides = (Provides("vm", "debian", "kubernetes"),)
    max_nodes = addresses.NODES_PER_NETWORK

    def session(self, spec: ClusterSpec) -> Session:
        return Session(spec, self.provider)

    def validate_labels(self, labels: Mapping[str, str]) -> None:
        network.pod_network(labels)
        node_config.kube_tag(labels)

    def validate_template(self, values: Mapping[str, Any]) -> None:
        network.check_network_driver(values.get("network_driver"))
        if values.get("tls_disabled"):
            raise Invalid(
                "Kubernetes clusters always serve their API with TLS: tls_disabled must be False."
            )
        self.validate_labels(values.get("labels") or {})

    def create_cluster(self, spec: ClusterSpec, progress: Progress) -> ClusterResult:
        for note in layout.ignored_settings(spec):
            LOG.info("cluster %s: ignoring %s", spec.uuid, note)
        with self.session(spec) as session:
            groups = sorted(spec.nodegroups, key=lambda g: not layout.is_manager(g))
            wait = partial(steps.time_left, progress, bootstrap.READY_TIMEOUT)
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
                    *_balancer_steps(session),
                    *membership.prepare_steps(session, progress),
                    Step(
                        "initialising the control plane",
                        partial(bootstrap.init_control_plane, session),
                    ),
                    Step("applying the pod network and DNS", partial(_addons, session)),
                    *membership.join_steps(session, progress, expected=spec.nodegroups),
                    Step("waiting for CoreDNS", lambda: bootstrap.wait_dns(session, wait())),
                ],
            )
            return _result(session)

    def delete_cluster(self, spec: ClusterSpec, progress: Progress) -> None:
        with self.session(spec) as session:

            def remove_nodes() -> None:
                parallel(lambda n: self.provider.remove_node(n.name), session.nodes())

            steps.run(
                progress,
                [
                    Step("removing nodes and their disks", remove_nodes),
                    Step(
                        "removing the cluster network",
                        partial(self.provider.remove_cluster, spec.uuid),
                    ),
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
            _ensure_balancer(session)
            present = session.nodes(nodegroup.name)
            prefix = layout.node_prefix(spec, nodegroup)
            victims = layout.pick_victims(prefix, present, node_count, nodes_to_remove, {})
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

    def load_image(self, spec: ClusterSpec, image: str, progress: Progress) -> list[str]:
        with self.session(spec) as session:
            if not self.provider.image_exists(image):
                raise Invalid(
                    f"Image {image} is not on the conductor's Docker engine; build or load it "
                    "there first (there is no registry to pull from)."
                )
            running = session.running()
            archive = self.provider.image_archive(image) if running else b""

            def load(target: Node) -> None:
                self.provider.put_files(target.name, {LOAD_PATH: (archive, 0o600)})
                script = f"ctr -n k8s.io images import {LOAD_PATH}; code=$?; rm -f {LOAD_PATH}; exit $code"
                session.run(target, ["sh", "-c", script], f"load image {image}")

            loads = [Step(f"loading {image} into {n.name}", partial(load, n)) for n in running]
            steps.run(progress, loads)
            return [n.name for n in running]

    def upgrade_cluster(
        self,
        spec: ClusterSpec,
        template: TemplateSpec,
        max_batch_size: int,
        nodegroup: NodeGroupSpec,
        progress: Progress,
    ) -> ClusterResult:
        with self.session(spec) as session:
            upgrade.upgrade(session, template, nodegroup, max_batch_size, progress)
            return _result(session)

    def rotate_ca_certificate(self, spec: ClusterSpec, progress: Progress) -> None:
        with self.session(spec) as session:
            rotation.rotate_ca(session, progress)

    def heal_cluster(
        self, spec: ClusterSpec, report: HealthReport, progress: Progress
    ) -> ClusterResult:
        return healing.heal_by_resize(self, spec, report, progress)

    def poll_health(self, spec: ClusterSpec) -> HealthReport | None:
        try:
            with self.session(spec) as session:
                return health.report(session)
        except DriverError as exc:
            return HealthReport("UNKNOWN", {"api": str(exc)})
