"""Growing and shrinking node groups: the steps, in order.

Adding is create nodes -> runtimes -> images -> join -> pod network -> Ready.
Removing is cordon and drain -> delete the Node object -> remove the node, so
that workloads move before their node goes and the cluster forgets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from moorage.drivers import steps
from moorage.drivers.base import NodeGroupSpec, Progress
from moorage.drivers.kubernetes import bootstrap
from moorage.drivers.kubernetes.session import Session
from moorage.drivers.nodes import layout, provision
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
from moorage.exceptions import DriverError

DRAIN_TIMEOUT = 120


def remove_steps(session: Session, victims: Sequence[Node]) -> list[Step]:
    if not victims:
        return []
    names = ", ".join(n.name for n in victims)
    return [
        Step(f"draining {names}", partial(drain, session, victims)),
        Step(f"removing {names}", partial(_remove, session, victims)),
    ]


def drain(session: Session, victims: Sequence[Node]) -> None:
    """Cordon and drain each worker that is a member (what never joined has nothing)."""
    if any(v.role == layout.MASTER_ROLE for v in victims):
        raise DriverError("remove a master: the control plane's size is fixed at create")
    master = session.api_master()
    known = session.kube_nodes(master)
    for victim in victims:
        if victim.name not in known:
            continue  # never joined, or forgotten already: nothing runs there
        session.kubectl(["cordon", victim.name], f"cordon {victim.name}", master)
        session.kubectl(
            [
                "drain",
                victim.name,
                "--ignore-daemonsets",
                "--delete-emptydir-data",
                "--force",
                f"--timeout={DRAIN_TIMEOUT}s",
            ],
            f"drain {victim.name}",
            master,
        )


def _remove(session: Session, victims: Sequence[Node]) -> None:
    master = session.api_master()
    for victim in victims:
        session.kubectl(
            ["delete", "node", victim.name, "--ignore-not-found"],
            f"delete node {victim.name}",
            master,
        )
        session.provider.remove_node(victim.name)


def _check_complete(session: Session, expected: Sequence[NodeGroupSpec]) -> None:
    """A node that went away since it was made (removed behind the driver's back) fails
    the operation here, naming it, rather than leaving a group short."""
    running = {n.name for n in session.running()}
    for group in expected:
        prefix = layout.node_prefix(session.spec, group)
        missing = [f"{prefix}{i}" for i in range(group.node_count) if f"{prefix}{i}" not in running]
        if missing:
            raise DriverError(
                f"join node group {group.name}: {', '.join(missing)} not running "
                f"({group.node_count - len(missing)} of {group.node_count} nodes are)"
            )


def _selected(session: Session, groups: Sequence[str]) -> list[Node]:
    return [n for n in session.running() if not groups or n.nodegroup in groups]


def prepare_steps(session: Session, progress: Progress, groups: Sequence[str] = ()) -> list[Step]:
    """Runtimes up and the cluster's images in, on the running nodes of ``groups`` (all
    when empty): what a node needs before kubeadm runs on it."""
    wait = partial(steps.time_left, progress, bootstrap.RUNTIME_TIMEOUT)
    return [
        Step(
            "waiting for the node runtimes",
            lambda: bootstrap.wait_runtimes(session, _selected(session, groups), wait()),
        ),
        Step(
            "importing the cluster's images",
            lambda: bootstrap.import_images(session, _selected(session, groups)),
        ),
    ]


def join_steps(
    session: Session,
    progress: Progress,
    groups: Sequence[str] = (),
    expected: Sequence[NodeGroupSpec] = (),
) -> list[Step]:
    """Bring every running node of ``groups`` (all when empty) into the cluster as Ready;
    each of ``expected`` must have all its nodes running first (a create's groups)."""
    wait = partial(steps.time_left, progress, bootstrap.READY_TIMEOUT)

    def names() -> list[str]:
        return [n.name for n in _selected(session, groups)]

    def join() -> None:
        _check_complete(session, expected)
        bootstrap.join_nodes(session, _selected(session, groups))

    return [
        Step("joining nodes to the cluster", join),
        Step(
            "configuring the nodes' pod networks",
            lambda: bootstrap.write_pod_networks(session, _selected(session, groups), wait()),
        ),
        Step(
            "waiting for nodes to be Ready", lambda: bootstrap.wait_ready(session, names(), wait())
        ),
        Step(
            "waiting for the pod network on every node",
            lambda: bootstrap.wait_rolled_out(session, bootstrap.NETWORK_PODS, wait()),
        ),
    ]


def add_steps(
    session: Session, nodegroup: NodeGroupSpec, count: int, progress: Progress
) -> list[Step]:
    if count <= 0:
        return []
    return [
        Step(
            f"creating {count} node(s) of {nodegroup.name}",
            partial(provision.add_nodes, session, nodegroup, count),
        ),
        *prepare_steps(session, progress, [nodegroup.name]),
        *join_steps(session, progress, [nodegroup.name]),
    ]
