"""One bridge network per cluster, with a fixed subnet so that nodes get fixed addresses.

Fixed node addresses go into the TLS certificates and the swarm's advertise
addresses, so they must survive container restarts and replacements: the
network is created with an explicit /24 and every node is given its IP. The
subnets come from a range of their own (swarm's overlays use 10.0.0.0/8 and the
engines inside the nodes use 172.17-18/16). The host engine refuses a subnet
that overlaps another network, which makes it the arbiter between clusters
created at the same time: the first free candidate wins, the loser tries the
next one.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import docker
import docker.errors
from docker.models.networks import Network as EngineNetwork
from docker.types import IPAMConfig, IPAMPool

from moorage.drivers import dockerapi
from moorage.drivers.providers.base import Network
from moorage.drivers.providers.docker.labels import CLUSTER
from moorage.exceptions import DriverError

# 192.168.128.0/24 .. 192.168.254.0/24: 127 clusters per host.
SUBNET_POOL = [f"192.168.{n}.0/24" for n in range(128, 255)]


def _describe(net: EngineNetwork, owned: bool) -> Network:
    configs = (net.attrs.get("IPAM") or {}).get("Config") or []
    for cfg in configs:
        subnet = cfg.get("Subnet", "")
        if subnet and ipaddress.ip_network(subnet, strict=False).version == 4:
            gateway = cfg.get("Gateway") or str(next(ipaddress.ip_network(subnet).hosts()))
            return Network(str(net.name), subnet, gateway, owned)
    raise DriverError(
        f"network {net.name} has no IPv4 subnet: nodes need fixed addresses "
        "(create it with --subnet)"
    )


def _existing_subnets(client: docker.DockerClient) -> set[str]:
    nets = dockerapi.call("list networks", client.networks.list)
    found: set[str] = set()
    for net in nets:
        for cfg in (net.attrs.get("IPAM") or {}).get("Config") or []:
            if cfg.get("Subnet"):
                found.add(cfg["Subnet"])
    return found


def _host_routes() -> set[str]:
    """IPv4 networks the host routes somewhere (its own LAN, VPNs), not the default
    route: a cluster network on one of them would cut the host off from it."""
    found: set[str] = set()
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        dest = ipaddress.IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
        mask = ipaddress.IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
        if int(mask):
            found.add(str(ipaddress.ip_network(f"{dest}/{mask}", strict=False)))
    return found


def _overlaps(candidate: str, taken: set[str]) -> bool:
    cand = ipaddress.ip_network(candidate)
    for subnet in taken:
        other = ipaddress.ip_network(subnet, strict=False)
        if other.version == cand.version and cand.overlaps(other):
            return True
    return False


def ensure(
    client: docker.DockerClient, name: str, cluster_uuid: str, existing: str | None = None
) -> Network:
    """The cluster's network: ``existing`` when given (never created nor removed by
    us), else the network ``name`` (created with a free subnet when missing)."""
    if existing:
        net = dockerapi.call(f"inspect network {existing}", client.networks.get, existing)
        return _describe(net, owned=False)
    try:
        return _describe(client.networks.get(name), owned=True)
    except docker.errors.NotFound:
        pass
    taken = _existing_subnets(client) | _host_routes()
    for subnet in SUBNET_POOL:
        if _overlaps(subnet, taken):
            continue
        gateway = str(ipaddress.ip_network(subnet).network_address + 1)
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet, gateway=gateway)])
        try:
            net = client.networks.create(
                name, driver="bridge", ipam=ipam, labels={CLUSTER: cluster_uuid}
            )
        except docker.errors.APIError as exc:
            if "overlap" in dockerapi.message(exc).lower():
                continue  # taken meanwhile by another cluster: next candidate
            raise DriverError(
                f"create network {name} ({subnet}): {dockerapi.message(exc)}"
            ) from exc
        return _describe(
            dockerapi.call(f"inspect network {name}", client.networks.get, net.id), True
        )
    raise DriverError(f"create network {name}: no free /24 left in 192.168.128-254.0/24")


def attached_addresses(client: docker.DockerClient, name: str) -> set[str]:
    """Addresses in use on the network by running containers (ours and anyone else's)."""
    net = dockerapi.call(f"inspect network {name}", client.networks.get, name)
    used = set()
    for endpoint in (net.attrs.get("Containers") or {}).values():
        addr = endpoint.get("IPv4Address", "")
        if addr:
            used.add(addr.split("/")[0])
    return used


def remove_owned(client: docker.DockerClient, cluster_uuid: str) -> None:
    """Remove the networks created for the cluster (found by label; a fixed_network
    has no label of ours and stays)."""
    nets = dockerapi.call(
        "list cluster networks",
        client.networks.list,
        filters={"label": f"{CLUSTER}={cluster_uuid}"},
    )
    for net in nets:
        dockerapi.call_unless_gone(f"remove network {net.name}", net.remove)
