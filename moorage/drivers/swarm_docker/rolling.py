"""Rolling operations over existing nodes: image upgrade and CA rotation.

Both touch a few nodes at a time so that the swarm keeps its quorum and its
workloads keep running elsewhere. An upgraded node keeps its name, address, host
port and /var/lib/docker volume, so its engine comes back with its swarm identity
and rejoins by itself; it is drained before and made active again after.
"""

from __future__ import annotations

from functools import partial

from moorage.drivers import steps
from moorage.drivers.base import NodeGroupSpec, Progress, TemplateSpec
from moorage.drivers.dockerapi import reference
from moorage.drivers.nodes import credentials, layout, provision
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
from moorage.drivers.swarm_docker import draining, joining, swarm
from moorage.drivers.swarm_docker.node_config import DEFAULT_IMAGE, TLS_DIR
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError


def _batches(nodes: list[Node], size: int) -> list[list[Node]]:
    size = max(1, size)
    return [nodes[i : i + size] for i in range(0, len(nodes), size)]


def _wait_all_ready(session: Session) -> None:
    """The end of a rolling operation: a manager's restart makes the others reconnect,
    and a new leader reports nodes as unknown until their next heartbeat."""
    swarm.wait_ready(session, [n.name for n in session.nodes() if n.state == "running"])


def upgrade(
    session: Session,
    template: TemplateSpec,
    nodegroup: NodeGroupSpec,
    max_batch_size: int,
    progress: Progress,
) -> None:
    """Replace the group's containers with the new template's image, batch by batch
    (managers one at a time, whatever ``max_batch_size`` says, to keep the quorum)."""
    labels = {**template.labels, **session.spec.labels, **nodegroup.labels}
    target = layout.image_ref(template, None, labels, DEFAULT_IMAGE)
    todo = [n for n in session.nodes(nodegroup.name) if reference(n.image) != target]
    todo = swarm.leader_last(session, todo)
    size = 1 if layout.is_manager(nodegroup) else max_batch_size
    steps.run(
        progress,
        [
            Step(f"checking node image {target}", partial(provision.check_image, session, target)),
            *(
                Step(
                    f"upgrading {', '.join(n.name for n in batch)} to {target}",
                    partial(_upgrade_batch, session, nodegroup, batch, target),
                )
                for batch in _batches(todo, size)
            ),
            Step("waiting for every node to be Ready", partial(_wait_all_ready, session)),
        ],
    )


def _upgrade_batch(
    session: Session, nodegroup: NodeGroupSpec, batch: list[Node], target: str
) -> None:
    """Drain, replace, rejoin and reactivate one batch of nodes."""
    names = [n.name for n in batch]
    ids = draining.drain(session, names, leaving=False)
    for old in batch:
        provision.replace_node(session, nodegroup, old, target)
    fresh = [n for n in session.nodes(nodegroup.name) if n.name in names]
    swarm.wait_engines(session, fresh)
    joining.converge(session)  # a no-op when they came back with their swarm state
    swarm.wait_ready(session, names, managers_reachable=True)
    _, manager = swarm.find_manager(session)
    members = swarm.swarm_nodes(manager)
    for name in names:
        node_id = str(members[name]["ID"]) if name in members else ids.get(name)
        if node_id:
            draining.set_availability(manager, node_id, "active")


def rotate_ca(session: Session, progress: Progress) -> None:
    """Give every node a server certificate from the new CA (``spec.ca``) and restart
    the nodes one at a time, managers first, so the conductor (whose client
    certificate is from the new CA too) can reach each as soon as it is back."""
    spec = session.spec
    if not session.tls:
        return
    if spec.ca is None:
        raise DriverError(f"rotate the CA of cluster {spec.uuid}: no CA given")
    ca = spec.ca
    nodes = session.nodes()

    def write_certificates() -> None:
        for n in nodes:
            files = credentials.server_files(ca, n.name, n.ip, TLS_DIR)
            session.provider.put_files(n.name, files)

    managers = [n for n in nodes if n.role == layout.MASTER_ROLE]
    workers = [n for n in nodes if n.role != layout.MASTER_ROLE]
    steps.run(
        progress,
        [
            Step("writing server certificates from the new CA", write_certificates),
            *(
                Step(f"restarting {n.name} with its new certificate", partial(_restart, session, n))
                for n in swarm.leader_last(session, managers) + workers
            ),
            Step("waiting for every node to be Ready", partial(_wait_all_ready, session)),
        ],
    )


def _restart(session: Session, node: Node) -> None:
    session.provider.restart_node(node.name)
    swarm.wait_engines(session, [node])
    swarm.wait_ready(session, [node.name], managers_reachable=True)
