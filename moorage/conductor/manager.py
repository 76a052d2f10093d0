"""The conductor's RPC endpoint: one method per Magnum conductor method.

Casts (create, update, resize, delete, node groups) run the cluster's queue of
recorded requests (``moorage.conductor.queue``) and report refusals only in the
log and a failure notification, as in Magnum; calls (upgrade, certificates)
raise, and the API turns the typed error into HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.certs import authority
from moorage.conductor import certificates, specs, states
from moorage.conductor.operations import Begin, Plan, apply_result, driver_for, load
from moorage.conductor.queue import Handler, RequestQueue
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.session import transaction
from moorage.drivers.base import ClusterResult, ClusterSpec, Driver, HealthReport, Progress
from moorage.objects.requests import CALLED, CAST, Operation
from moorage.objects.status import CREDENTIAL_ROTATE_ALLOWED, RESIZE_ALLOWED, UPDATE_ALLOWED, Status
from moorage.services import templates
from moorage.services.nodegroups import by_uuid as _nodegroup
from moorage.services.nodegroups import default_worker as _default_worker

LOG = logging.getLogger(__name__)


def _require(cluster: models.Cluster, allowed: frozenset[Status], verb: str, resumed: bool) -> None:
    """Magnum's status check; a resumed request finds its own *_IN_PROGRESS status."""
    if cluster.status not in allowed and not resumed:
        raise exceptions.NotSupported(
            f'{verb} a cluster when status is "{cluster.status}" is not supported.'
        )


def overrides(driver: Driver, method: str) -> bool:
    """Whether the driver implements an optional operation of the contract."""
    return getattr(type(driver), method) is not getattr(Driver, method)


class ConductorManager:
    def __init__(self, owner: str, workers: int | None = None) -> None:
        self.owner = owner
        self._pool = ThreadPoolExecutor(
            max_workers=workers or CONF.conductor.workers, thread_name_prefix="conductor-op"
        )
        self.queue = RequestQueue(
            owner,
            self._handlers(),
            lambda job: self._pool.submit(job).add_done_callback(_log_error),
        )

    def shutdown(self, wait: bool = True) -> None:
        self.queue.stop()
        self._pool.shutdown(wait=wait)

    def _handlers(self) -> dict[str, Handler]:
        """What begins each recorded request, by the request's stable name."""
        return {
            Operation.CLUSTER_CREATE: self._create,
            Operation.CLUSTER_DELETE: self._delete,
            Operation.CLUSTER_UPDATE: self._update,
            Operation.CLUSTER_RESIZE: self._resize,
            Operation.CLUSTER_UPGRADE: self._upgrade,
            Operation.CLUSTER_HEAL: self._heal,
            Operation.NODEGROUP_CREATE: partial(self._nodegroup_op, "create"),
            Operation.NODEGROUP_UPDATE: partial(self._nodegroup_op, "update"),
            Operation.NODEGROUP_DELETE: partial(self._nodegroup_op, "delete"),
            Operation.ROTATE_CA_CERTIFICATE: self._rotate_ca,
        }

    # --- casts and recorded calls, by their declared names -------------------------

    def __getattr__(self, name: str) -> Callable[..., Any]:
        """The RPC methods ``objects.requests`` declares as ``CAST`` or ``CALLED``."""
        if name in CAST:
            return self.process_requests
        if name in CALLED:
            return partial(self._call, Operation(name))
        raise AttributeError(name)

    def process_requests(self, ctx: RequestContext, cluster_uuid: str, **_sent: Any) -> None:
        """Every cast (Magnum's method names on the bus) says "a request is recorded on
        this cluster": what runs, and in which order, is what the queue holds. A
        refusal is recorded on the request, logged and notified, as in Magnum."""
        self.queue.process(cluster_uuid)

    def _call(
        self, operation: Operation, ctx: RequestContext, cluster_uuid: str, **arguments: Any
    ) -> None:
        """Record and begin ``operation`` while the caller waits (its refusal is the
        caller's error); the driver work goes on in the background."""
        self.queue.call(ctx, cluster_uuid, operation, **arguments)

    # --- what begins each request ----------------------------------------------------

    @staticmethod
    def _create() -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            if cluster.status != Status.CREATE_IN_PROGRESS:
                # Only the API's create puts a cluster in CREATE_IN_PROGRESS: past it, this
                # is the same request again (reconcile ran it after its conductor died).
                raise exceptions.AlreadyCarriedOut(
                    f"Cluster {cluster.uuid} is {cluster.status}, not being created."
                )
            groups = [g.uuid for g in specs.nodegroups_of(session, cluster.uuid)]
            if not cluster.ca_cert_ref:
                certificates.generate(session, cluster)
            return Plan(
                "create",
                lambda driver, spec, progress: driver.create_cluster(spec, progress),
                groups,
            )

        return begin

    @staticmethod
    def _delete() -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            groups = [g.uuid for g in specs.nodegroups_of(session, cluster.uuid)]
            states.begin(session, cluster, Status.DELETE_IN_PROGRESS, groups)

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> None:
                driver.delete_cluster(spec, progress)

            def without_driver(spec: ClusterSpec, progress: Progress) -> None:
                # Nothing can clean up what a provider may hold; the rows go all the same.
                progress.step("no driver: removing the records only")

            return Plan("delete", work, groups, done=_forget, without_driver=without_driver)

        return begin

    def _update(
        self,
        node_count: int,
        health_status: str | None,
        health_status_reason: dict[str, Any] | None,
        rollback: bool = False,
    ) -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan | None:
            _require(cluster, UPDATE_ALLOWED, "Updating", resumed)
            if health_status is not None:
                cluster.health_status = health_status
            if health_status_reason is not None:
                cluster.health_status_reason = health_status_reason
            worker = _default_worker(session, cluster)
            if node_count == worker.node_count and not resumed:
                return None  # a health-only update is done here
            resize = self._resize(node_count, [], worker.uuid, allowed=UPDATE_ALLOWED)
            return resize(session, cluster, resumed)

        return begin

    @staticmethod
    def _resize(
        node_count: int,
        nodes_to_remove: Sequence[str],
        nodegroup_uuid: str,
        allowed: frozenset[Status] = RESIZE_ALLOWED,
    ) -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            _require(cluster, allowed, "Resizing", resumed)
            group = _nodegroup(session, cluster, nodegroup_uuid)
            old_count, group.node_count = group.node_count, node_count
            states.begin(session, cluster, Status.UPDATE_IN_PROGRESS, [group.uuid])

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> ClusterResult:
                target = spec.nodegroup(group.name)
                return driver.resize_nodegroup(spec, target, node_count, nodes_to_remove, progress)

            def undo(s: Session, c: models.Cluster) -> None:
                _nodegroup(s, c, nodegroup_uuid).node_count = old_count

            return Plan("update", work, [group.uuid], undo=undo)

        return begin

    @staticmethod
    def _nodegroup_op(verb: str, nodegroup_uuid: str) -> Begin:
        """Node group create/update/delete: the group moves, the cluster is UPDATE_*."""
        entered = {
            "create": Status.CREATE_IN_PROGRESS,
            "update": Status.UPDATE_IN_PROGRESS,
            "delete": Status.DELETE_IN_PROGRESS,
        }[verb]

        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            group = _nodegroup(session, cluster, nodegroup_uuid)
            if verb == "update" and not resumed:
                _require_group(group)
            states.write(session, cluster, Status.UPDATE_IN_PROGRESS)
            states.write(session, group, entered)
            name = group.name

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> ClusterResult | None:
                target = spec.nodegroup(name)
                if verb == "create":
                    return driver.create_nodegroup(spec, target, progress)
                if verb == "delete":
                    return driver.delete_nodegroup(spec, target, progress)
                return None

            def done(s: Session, c: models.Cluster, result: ClusterResult | None) -> None:
                apply_result(s, c, result)
                if verb == "delete":
                    s.delete(_nodegroup(s, c, nodegroup_uuid))

            return Plan("update", work, [nodegroup_uuid], done=done)

        return begin

    def cluster_heal(self, ctx: RequestContext, cluster_uuid: str, report: HealthReport) -> None:
        """Replace the nodes a health poll found down (label auto_healing_enabled=true)."""
        self.queue.enqueue(
            ctx, cluster_uuid, Operation.CLUSTER_HEAL, status=report.status, reason=report.reason
        )

    @staticmethod
    def _heal(status: str, reason: dict[str, str]) -> Begin:
        report = HealthReport(status, reason)

        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            _require(cluster, UPDATE_ALLOWED, "Healing", resumed)
            states.begin(session, cluster, Status.UPDATE_IN_PROGRESS, [], "auto-healing")

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> ClusterResult:
                return driver.heal_cluster(spec, report, progress)

            return Plan("update", work)

        return begin

    # --- calls ---------------------------------------------------------------------

    @staticmethod
    def _upgrade(template_uuid: str, max_batch_size: int, nodegroup_uuid: str) -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            _require(cluster, UPDATE_ALLOWED, "Upgrading", resumed)
            if not overrides(driver_for(session, cluster), "upgrade_cluster"):
                raise exceptions.NotSupported(
                    "Upgrading a cluster is not supported by this driver."
                )
            new = templates.load(session, template_uuid)
            group = _nodegroup(session, cluster, nodegroup_uuid)
            states.begin(session, cluster, Status.UPDATE_IN_PROGRESS, [group.uuid])
            target_spec, name = specs.template_spec(new), group.name

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> ClusterResult:
                return driver.upgrade_cluster(
                    spec, target_spec, max_batch_size, spec.nodegroup(name), progress
                )

            def done(s: Session, c: models.Cluster, result: ClusterResult | None) -> None:
                apply_result(s, c, result)
                ng = _nodegroup(s, c, nodegroup_uuid)
                ng.image_id = target_spec.image_id
                if ng.is_default:
                    c.cluster_template_id = template_uuid

            return Plan("update", work, [group.uuid], done=done)

        return begin

    @staticmethod
    def _rotate_ca() -> Begin:
        def begin(session: Session, cluster: models.Cluster, resumed: bool) -> Plan:
            _require(cluster, UPDATE_ALLOWED, "Updating", resumed)
            if not overrides(driver_for(session, cluster), "rotate_ca_certificate"):
                raise exceptions.NotSupported(
                    "'rotate_ca_certificate' is not supported by this driver."
                )
            certificates.generate(session, cluster)
            states.write(session, cluster, Status.UPDATE_IN_PROGRESS)

            def work(driver: Driver, spec: ClusterSpec, progress: Progress) -> None:
                driver.rotate_ca_certificate(spec, progress)

            return Plan("update", work)

        return begin

    def credential_rotate(self, ctx: RequestContext, cluster_uuid: str) -> None:
        with transaction() as session:
            cluster = load(session, cluster_uuid)
            _require(cluster, CREDENTIAL_ROTATE_ALLOWED, "Rotating credentials of", False)
            driver = driver_for(session, cluster)
            spec = specs.cluster_spec(session, cluster)
        driver.rotate_credential(spec)

    def cluster_load_image(self, ctx: RequestContext, cluster_uuid: str, image: str) -> list[str]:
        """Copy a local image into every node, under the cluster's lease (no node comes or
        goes meanwhile). Synchronous: the caller learns which nodes have it, or why not.
        The status does not move; nodes added later do not get it (load it again)."""
        lease = self.queue.lease(cluster_uuid).acquire(wait=CONF.conductor.lease_time)
        try:
            with transaction() as session:
                cluster = load(session, cluster_uuid)
                _require(cluster, UPDATE_ALLOWED, "Loading an image into", False)
                driver = driver_for(session, cluster)
                spec = specs.cluster_spec(session, cluster)
            return driver.load_image(spec, image, _LogProgress(cluster_uuid))
        finally:
            self.queue.give_back(lease)

    def get_ca_certificate(self, ctx: RequestContext, cluster_uuid: str) -> str:
        with transaction() as session:
            return certificates.ca_pem(session, load(session, cluster_uuid))

    def sign_certificate(self, ctx: RequestContext, cluster_uuid: str, csr: str) -> str:
        with transaction() as session:
            cluster = load(session, cluster_uuid)
            ca = certificates.ca(session, cluster)
            issuer = certificates.issuer_name(cluster)
        return authority.sign_csr(ca, csr, issuer)


class _LogProgress:
    """Steps of an operation that does not move the cluster's status go to the log."""

    def __init__(self, cluster_uuid: str) -> None:
        self.cluster_uuid = cluster_uuid

    def step(self, name: str) -> None:
        LOG.info("Cluster %s: %s", self.cluster_uuid, name)


def _require_group(group: models.NodeGroup) -> None:
    if group.status not in UPDATE_ALLOWED:
        raise exceptions.NotSupported(
            f'Updating a nodegroup when status is "{group.status}" is not supported.'
        )


def _forget(session: Session, cluster: models.Cluster, result: ClusterResult | None) -> None:
    """DELETE_COMPLETE: certificates, node groups and the cluster row go."""
    certificates.remove(session, [r for r in (cluster.ca_cert_ref, cluster.magnum_cert_ref) if r])
    session.execute(
        delete(models.ClusterRequest).where(models.ClusterRequest.cluster_id == cluster.uuid)
    )
    session.execute(delete(models.NodeGroup).where(models.NodeGroup.cluster_id == cluster.uuid))
    session.delete(cluster)


def _log_error(future: Any) -> None:
    exc = future.exception()
    if exc is not None:
        LOG.error("Conductor background operation failed: %s", exc, exc_info=exc)
