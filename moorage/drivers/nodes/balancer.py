"""The load balancer in front of a cluster's masters: one published API address that
outlives any one master (Magnum's ``master_lb_enabled``, the part Octavia plays there).

It is a provider node of its own role in no node group, on the cluster network at
an infrastructure address (.2-.9), publishing the COE's API port where the masters
would. The provider removes it with the rest of the cluster; the node layer's
``Session.nodes`` leaves it out of what node groups count. Which masters it forwards
to is a file it re-reads, rewritten here from the masters that exist, so that it is
reconfigured without dropping the connections it carries.
"""

from __future__ import annotations

from moorage.drivers.base import ClusterSpec
from moorage.drivers.nodes import addresses, layout, provision
from moorage.drivers.nodes.session import Session
from moorage.drivers.providers.base import Node, NodeSpec
from moorage.exceptions import DriverError

BACKENDS = "/etc/moorage/balancer/backends"


def wanted(spec: ClusterSpec) -> bool:
    """Magnum's rule: a load balancer when the cluster asks for one (more than one
    master requires it, as the API checks)."""
    return spec.master_lb_enabled


def name(spec: ClusterSpec) -> str:
    return f"{layout.cluster_prefix(spec)}lb"


def _backends(session: Session) -> bytes:
    port = session.recipe.api_port
    masters = [n for n in session.nodes() if n.role == layout.MASTER_ROLE]
    return "".join(f"{m.ip}:{port}\n" for m in masters).encode()


def ensure(session: Session, image: str) -> Node:
    """The cluster's balancer, made when missing and started when stopped, forwarding
    to the masters that exist now."""
    found = session.balancer()
    if found is None:
        _create(session, image)
        found = session.balancer()
        if found is None:
            raise DriverError(f"create the load balancer {name(session.spec)}: it did not appear")
    elif found.state != "running":
        session.provider.restart_node(found.name)
    sync(session, found)
    return found


def _create(session: Session, image: str) -> None:
    provision.check_image(session, image)
    spec = session.spec
    net = provision.cluster_network(session)
    used = {n.ip for n in session.nodes()} | session.provider.addresses_in_use(net)
    port = session.recipe.api_port
    session.provider.create_node(
        NodeSpec(
            name=name(spec),
            image=image,
            network=net.name,
            ip=addresses.infrastructure_address(net, used),
            cluster=spec.uuid,
            nodegroup="",
            role=layout.BALANCER_ROLE,
            command=["-listen", f":{port}", "-backends", BACKENDS],
            api_port=port,
            publish=True,
            state_paths=(),
            dns=session.recipe.dns,
            nested=False,
        )
    )


def sync(session: Session, balancer: Node | None = None) -> None:
    """Point the balancer (when there is one) at the masters that exist now."""
    target = balancer or session.balancer()
    if target is not None:
        session.provider.put_files(target.name, {BACKENDS: (_backends(session), 0o644)})
