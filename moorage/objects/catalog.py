"""Images, flavors, networks and key pairs a template or cluster may name.

They come from ``[catalog]`` in the config and stand where Magnum asks Glance,
Nova and Neutron, with the same errors, so a template that names something the
provider cannot run is refused when it is written, not when a cluster fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from moorage import exceptions
from moorage.config import CONF


@dataclass(frozen=True)
class Flavor:
    name: str
    cpus: int
    memory_mb: int
    disk_gb: int


@dataclass(frozen=True)
class Image:
    name: str
    os_distro: str
    driver: str | None = None


def _parse_flavor(entry: str) -> Flavor:
    name, cpus, memory, disk = entry.rsplit(":", 3)
    return Flavor(name=name, cpus=int(cpus), memory_mb=int(memory), disk_gb=int(disk))


def _parse_image(entry: str) -> Image:
    parts = entry.split(":")
    return Image(name=parts[0], os_distro=parts[1], driver=parts[2] if len(parts) > 2 else None)


def flavors() -> dict[str, Flavor]:
    return {f.name: f for f in map(_parse_flavor, CONF.catalog.flavors)}


def images() -> dict[str, Image]:
    return {i.name: i for i in map(_parse_image, CONF.catalog.images)}


def find_image(name: str) -> Image:
    found = images().get(name)
    if found is None:
        raise exceptions.Invalid(f"Image {name} could not be found.")
    return found


def find_flavor(name: str | None) -> Flavor:
    found = flavors().get(name) if name is not None else None
    if found is None:
        raise exceptions.Invalid(f"Unable to find flavor {name}.")
    return found


def check_external_network(name: str) -> None:
    if name not in CONF.catalog.external_networks:
        raise exceptions.Invalid(f"Unable to find external network {name}.")


def check_fixed_network(name: str) -> None:
    if name not in CONF.catalog.networks:
        raise exceptions.Invalid(f"Unable to find fixed network {name}.")


def check_fixed_subnet(name: str) -> None:
    if name not in CONF.catalog.subnets:
        raise exceptions.Invalid(f"Unable to find fixed subnet {name}.")


def check_keypair(name: str) -> None:
    if name not in CONF.catalog.keypairs:
        raise exceptions.NotFound(f"Unable to find keypair {name}.")
