"""Creating, replacing and repairing a node group's nodes (no COE work happens here).

Masters get their API published for users (``api_address``); workers are reached
on the cluster network only. Every node gets a fixed address and, with TLS, a
server certificate from the cluster CA written into it before its API starts.
"""

from __future__ import annotations

from moorage.drivers.base import NodeGroupSpec
from moorage.drivers.nodes import addresses, credentials, layout
from moorage.drivers.nodes.session import Session
from moorage.drivers.providers.base import Network, Node, NodeSpec
from moorage.exceptions import DriverError


def cluster_network(session: Session) -> Network:
    spec = session.spec
    return session.provider.ensure_network(spec.uuid, layout.fixed_network(spec))


def network_and_repair(session: Session) -> None:
    """A create's first step: the network there, and what an earlier try left fixed."""
    cluster_network(session)
    repair(session)


def fill(session: Session, group: NodeGroupSpec) -> None:
    """Create the nodes the group lacks (none when a resumed create made them)."""
    missing = group.node_count - len(session.nodes(group.name))
    if missing > 0:
        add_nodes(session, group, missing)


def check_image(session: Session, ref: str) -> None:
    if not session.provider.image_exists(ref):
        raise DriverError(
            f"node image {ref} not found on the local Docker engine (build it with "
            f"`{session.recipe.build_command}`; there is no registry to pull from)"
        )


def group_image(session: Session, nodegroup: NodeGroupSpec) -> str:
    spec, recipe = session.spec, session.recipe
    return layout.image_ref(
        spec.template,
        nodegroup,
        layout.labels(spec, nodegroup),
        recipe.default_image,
        recipe.default_tag,
    )


def node_spec(
    session: Session,
    nodegroup: NodeGroupSpec,
    net: Network,
    name: str,
    ip: str,
    image_ref: str,
    host_port: int | None = None,
) -> NodeSpec:
    spec, recipe = session.spec, session.recipe
    files = {}
    if session.tls and recipe.tls_dir is not None:
        if spec.ca is None:
            raise DriverError(f"cluster {spec.uuid}: no CA given, but the template enables TLS")
        files = credentials.server_files(spec.ca, name, ip, recipe.tls_dir)
    flavor = nodegroup.flavor
    return NodeSpec(
        name=name,
        image=image_ref,
        network=net.name,
        ip=ip,
        cluster=spec.uuid,
        nodegroup=nodegroup.name,
        role=nodegroup.role,
        command=recipe.command,
        files=files,
        environment=recipe.environment,
        cpus=float(flavor.cpus) if flavor else None,
        memory_mb=flavor.memory_mb if flavor else None,
        api_port=recipe.api_port,
        publish=layout.is_manager(nodegroup),
        host_port=host_port,
        state_paths=recipe.state_paths,
        tty=recipe.tty,
        tmpfs=recipe.tmpfs,
        dns=recipe.dns,
    )


def add_nodes(session: Session, nodegroup: NodeGroupSpec, count: int) -> list[str]:
    """Create and start ``count`` new nodes of the group; returns their names."""
    if count <= 0:
        return []
    ref = group_image(session, nodegroup)
    check_image(session, ref)
    net = cluster_network(session)
    present = session.nodes()
    used = {n.ip for n in present} | session.provider.addresses_in_use(net)
    prefix = layout.node_prefix(session.spec, nodegroup)
    names = layout.new_names(prefix, [n.name for n in present], count)
    for name, ip in zip(names, addresses.free_addresses(net, used, count), strict=True):
        # A new node starts clean: a disk left by a node removed behind our back holds
        # a COE identity the other nodes have forgotten.
        session.provider.remove_node(name)
        session.provider.create_node(node_spec(session, nodegroup, net, name, ip, ref))
    return names


def replace_node(session: Session, nodegroup: NodeGroupSpec, old: Node, image_ref: str) -> None:
    """Recreate a node from ``image_ref`` with the same name, address, published port and
    disk, so that it comes back with its COE state and rejoins."""
    check_image(session, image_ref)
    net = cluster_network(session)
    session.provider.create_node(
        node_spec(session, nodegroup, net, old.name, old.ip, image_ref, old.host_port)
    )


def repair(session: Session) -> None:
    """Fix what an interrupted operation may have left: a node created but never started
    (its certificates may be missing) is removed, so that it is made again; a stopped
    one is started."""
    for n in session.nodes():
        if n.state == "created":
            session.provider.remove_node(n.name)
        elif n.state == "exited":
            session.provider.restart_node(n.name)
