"""Fixed node addresses on the cluster's network.

Node addresses go into the TLS certificates and the COE's advertise addresses, so
each node is given one, chosen here before the node is made, and keeps it when it
is restarted or replaced.
"""

from __future__ import annotations

import ipaddress

from moorage.drivers.providers.base import Network
from moorage.exceptions import DriverError

# .1 is the gateway, .2-.9 are kept for infrastructure (a registry, say): nodes from .10.
FIRST_NODE_OFFSET = 10
# Nodes one /24 cluster network holds: .10 up to the last before broadcast.
NODES_PER_NETWORK = 256 - FIRST_NODE_OFFSET - 1


def infrastructure_address(net: Network, used: set[str]) -> str:
    """The first free address of ``net``'s .2-.9, for what serves the cluster's nodes
    rather than being one (the API servers' load balancer)."""
    subnet = ipaddress.ip_network(net.subnet)
    base = int(subnet.network_address)
    for offset in range(2, FIRST_NODE_OFFSET):
        candidate = str(ipaddress.ip_address(base + offset))
        if candidate not in used and candidate != net.gateway:
            return candidate
    raise DriverError(f"network {net.name} ({net.subnet}): .2 to .9 are all taken")


def free_addresses(net: Network, used: set[str], count: int) -> list[str]:
    """``count`` addresses of ``net`` from .10 up that are not in ``used``."""
    subnet = ipaddress.ip_network(net.subnet)
    first = int(subnet.network_address) + FIRST_NODE_OFFSET
    found: list[str] = []
    for host in subnet.hosts():
        if int(host) < first or str(host) in used or str(host) == net.gateway:
            continue
        found.append(str(host))
        if len(found) == count:
            return found
    raise DriverError(f"network {net.name} ({net.subnet}) has no {count} free addresses left")
