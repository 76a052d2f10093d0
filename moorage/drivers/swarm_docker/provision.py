"""Creating and replacing a node group's containers (no swarm work happens here).

Managers get their API published on a host port of their own (``api_address``);
workers are reached on the cluster network only. Every node gets a fixed
address and, with TLS, a server certificate from the cluster CA written into
the container before its engine starts.
"""

from __future__ import annotations

import logging

from moorage.drivers.base import NodeGroupSpec
from moorage.drivers.docker import image, network, node, ports
from moorage.drivers.docker.node import Node, NodeSpec
from moorage.drivers.swarm_docker import credentials, layout
from moorage.drivers.swarm_docker.session import Session
from moorage.exceptions import DriverError

LOG = logging.getLogger(__name__)
# Ports tried for one new manager before giving up (each was free when chosen).
PORT_ATTEMPTS = 5


def cluster_network(session: Session) -> network.Network:
    spec = session.spec
    return network.ensure(
        session.host, layout.network_name(spec), spec.uuid, layout.fixed_network(spec)
    )


def check_image(session: Session, ref: str) -> None:
    if not image.exists(session.host, ref):
        raise DriverError(
            f"node image {ref} not found on the local Docker engine "
            "(build it with `moorage image build`; there is no registry to pull from)"
        )


def group_image(session: Session, nodegroup: NodeGroupSpec) -> str:
    spec = session.spec
    return layout.image_ref(spec.template, nodegroup, layout.labels(spec, nodegroup))


def _spec(
    session: Session,
    nodegroup: NodeGroupSpec,
    net: network.Network,
    name: str,
    ip: str,
    image_ref: str,
    host_port: int | None,
) -> NodeSpec:
    spec = session.spec
    files = {}
    if session.tls:
        if spec.ca is None:
            raise DriverError(f"cluster {spec.uuid}: no CA given, but the template enables TLS")
        files = credentials.server_files(spec.ca, name, ip)
    flavor = nodegroup.flavor
    return NodeSpec(
        name=name,
        image=image_ref,
        network=net.name,
        ip=ip,
        cluster=spec.uuid,
        nodegroup=nodegroup.name,
        role=nodegroup.role,
        command=layout.dockerd_args(session.tls, spec.template),
        files=files,
        environment=layout.NODE_ENVIRONMENT,
        cpus=float(flavor.cpus) if flavor else None,
        memory_mb=flavor.memory_mb if flavor else None,
        api_port=layout.API_PORT,
        host_port=host_port,
    )


def add_nodes(session: Session, nodegroup: NodeGroupSpec, count: int) -> list[str]:
    """Create and start ``count`` new nodes of the group; returns their names."""
    if count <= 0:
        return []
    ref = group_image(session, nodegroup)
    check_image(session, ref)
    net = cluster_network(session)
    present = session.nodes()
    used = {n.ip for n in present} | network.attached_addresses(session.host, net.name)
    prefix = layout.node_prefix(session.spec, nodegroup)
    names = layout.new_names(prefix, [n.name for n in present], count)
    addresses = network.free_addresses(net, used, count)
    with ports.allocation(session.host) as allocator:
        for name, ip in zip(names, addresses, strict=True):
            # A new node starts clean: a volume left by a container removed behind our
            # back holds a swarm identity the managers have forgotten.
            node.remove_volume(session.host, node.volume_name(name))
            if layout.is_manager(nodegroup):
                _create_on_free_port(session, allocator, nodegroup, net, name, ip, ref)
            else:
                node.create(session.host, _spec(session, nodegroup, net, name, ip, ref, None))
    return names


def _create_on_free_port(
    session: Session,
    allocator: ports.Allocator,
    nodegroup: NodeGroupSpec,
    net: network.Network,
    name: str,
    ip: str,
    image_ref: str,
) -> None:
    """Create a manager on a new host port. A process outside Moorage can take the port
    between the allocator's check and the container's start: then the container is
    removed and the next free port is tried."""
    tried = []
    for _ in range(PORT_ATTEMPTS):
        port = allocator.take()
        tried.append(str(port))
        try:
            node.create(session.host, _spec(session, nodegroup, net, name, ip, image_ref, port))
            return
        except node.PortTaken as exc:
            LOG.warning("%s; trying another port", exc)
            node.remove(session.host, name, keep_volume=True)
    raise DriverError(
        f"publish the API of node {name}: host ports {', '.join(tried)} on 127.0.0.1 were "
        f"all taken by other processes when the node started (the range is "
        f"{ports.PORT_RANGE.start}-{ports.PORT_RANGE.stop - 1}; free some of it and retry)"
    )


def replace_node(session: Session, nodegroup: NodeGroupSpec, old: Node, image_ref: str) -> None:
    """Recreate a node's container from ``image_ref`` with the same name, address, port
    and volume, so that its engine comes back with its swarm state and rejoins."""
    check_image(session, image_ref)
    net = cluster_network(session)
    with ports.allocation(session.host):  # the port is free between remove and create
        node.remove(session.host, old.name, keep_volume=True)
        node.create(
            session.host, _spec(session, nodegroup, net, old.name, old.ip, image_ref, old.host_port)
        )


def repair(session: Session) -> None:
    """Fix what an interrupted operation may have left: a container created but never
    started (its certificates may be missing) is removed, so that it is made again; a
    stopped one is started."""
    for n in session.nodes():
        if n.state == "created":
            node.remove(session.host, n.name)
        elif n.state == "exited":
            node.start(session.host, n.name)
