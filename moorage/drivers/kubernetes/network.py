"""The pod network a cluster asks for with its labels, as Magnum's user guide names them.

Only flannel is offered (``network_driver``), with the backends current flannel has
and that work between containers on one bridge: ``vxlan`` and ``host-gw``. Every
value is checked before anything is written, so a bad label is the API's 400.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from moorage import exceptions
from moorage.exceptions import DriverError

NETWORK_DRIVERS = ("flannel",)
BACKENDS = ("vxlan", "host-gw")
CIDR_LABEL = "flannel_network_cidr"
SUBNETLEN_LABEL = "flannel_network_subnetlen"
BACKEND_LABEL = "flannel_backend"
DEFAULT_CIDR = "10.100.0.0/16"
DEFAULT_SUBNETLEN = 24
DEFAULT_BACKEND = "vxlan"
# Magnum's default service_cluster_ip_range; the DNS service takes its tenth address.
SERVICE_CIDR = "10.254.0.0/16"
# VXLAN puts 50 bytes of headers on every packet of the 1500-byte bridge.
_MTU = {"vxlan": 1450, "host-gw": 1500}
# Smallest per-node subnet: a /28 holds 13 pods after the bridge and the broadcast.
_LONGEST_SUBNETLEN = 28


@dataclass(frozen=True)
class PodNetwork:
    cidr: str
    subnetlen: int
    backend: str

    @property
    def mtu(self) -> int:
        return _MTU[self.backend]


def dns_service_ip() -> str:
    return str(ipaddress.ip_network(SERVICE_CIDR)[10])


def check_network_driver(name: str | None) -> None:
    if name and name not in NETWORK_DRIVERS:
        raise exceptions.Invalid(
            f"Network driver type {name} is not supported by the Kubernetes driver, "
            f"expecting a {'/'.join(NETWORK_DRIVERS)}/unspecified network driver."
        )


def _cidr(labels: Mapping[str, str]) -> ipaddress.IPv4Network:
    value = labels.get(CIDR_LABEL, DEFAULT_CIDR)
    try:
        cidr = ipaddress.ip_network(value)
    except ValueError as exc:
        raise exceptions.Invalid(
            f"Label {CIDR_LABEL} must be an IPv4 network such as {DEFAULT_CIDR}, got {value}."
        ) from exc
    if not isinstance(cidr, ipaddress.IPv4Network) or not cidr.is_private:
        raise exceptions.Invalid(f"Label {CIDR_LABEL} must be a private IPv4 network, got {value}.")
    if cidr.overlaps(ipaddress.ip_network(SERVICE_CIDR)):
        raise exceptions.Invalid(
            f"Label {CIDR_LABEL} ({value}) overlaps the service network {SERVICE_CIDR}."
        )
    return cidr


def _subnetlen(labels: Mapping[str, str], cidr: ipaddress.IPv4Network) -> int:
    value = labels.get(SUBNETLEN_LABEL, str(DEFAULT_SUBNETLEN))
    shortest = cidr.prefixlen + 1
    if not value.isdigit() or not shortest <= int(value) <= _LONGEST_SUBNETLEN:
        raise exceptions.Invalid(
            f"Label {SUBNETLEN_LABEL} must be a whole number from {shortest} to "
            f"{_LONGEST_SUBNETLEN} for the network {cidr}, got {value}."
        )
    return int(value)


def pod_network(labels: Mapping[str, str]) -> PodNetwork:
    """The cluster's pod network from its labels; ``Invalid`` names the label at fault."""
    backend = labels.get(BACKEND_LABEL, DEFAULT_BACKEND)
    if backend not in BACKENDS:
        raise exceptions.Invalid(
            f"Label {BACKEND_LABEL}={backend} is not supported, expecting one of "
            f"{', '.join(BACKENDS)} (flannel no longer has a udp backend)."
        )
    cidr = _cidr(labels)
    return PodNetwork(str(cidr), _subnetlen(labels, cidr), backend)


def free_subnets(pods: PodNetwork, used: set[str], count: int) -> list[str]:
    """The lowest ``count`` node subnets of the pod network that no node holds: what
    the controller-manager's range allocator would hand out, in the same order."""
    found: list[str] = []
    if count <= 0:
        return found
    for subnet in ipaddress.ip_network(pods.cidr).subnets(new_prefix=pods.subnetlen):
        if str(subnet) not in used:
            found.append(str(subnet))
            if len(found) == count:
                return found
    raise DriverError(
        f"the pod network {pods.cidr} has no {count} free /{pods.subnetlen} node subnets left "
        f"({len(used)} in use); make {SUBNETLEN_LABEL} longer or {CIDR_LABEL} larger"
    )
