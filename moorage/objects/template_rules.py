"""Checks on a cluster template's content, shared by create and patch.

These are Magnum's rules (COE, server type, network and volume drivers, storage
size, flavors, networks), with the provider's catalog standing in for Glance,
Nova and Neutron.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage import exceptions
from moorage.config import CONF
from moorage.objects import catalog

COES = ("kubernetes", "swarm-mode")
SERVER_TYPES = ("vm", "bm")

_NETWORK = {
    "kubernetes": ("flannel", "calico", "cilium"),
    "swarm-mode": ("docker", "flannel"),
}
_VOLUME = {"kubernetes": ("cinder",), "swarm-mode": ("rexray",)}


def _allowed_networks(coe: str) -> tuple[str, ...]:
    option = (
        CONF.cluster_template.kubernetes_allowed_network_drivers
        if coe == "kubernetes"
        else CONF.cluster_template.swarm_allowed_network_drivers
    )
    return _NETWORK[coe] if "all" in option else tuple(option)


def default_network_driver(coe: str) -> str:
    if coe == "kubernetes":
        return str(CONF.cluster_template.kubernetes_default_network_driver)
    return str(CONF.cluster_template.swarm_default_network_driver)


def check_coe(coe: str | None) -> str:
    if coe not in COES:
        raise exceptions.Invalid(f"Requested COE type {coe or 'Unset'} is not supported.")
    return coe


def check_drivers(coe: str, network_driver: str | None, volume_driver: str | None) -> None:
    if network_driver:
        supported = _NETWORK[coe]
        if network_driver not in supported:
            raise exceptions.Invalid(
                f"Network driver type {network_driver} is not supported, expecting a "
                f"{'/'.join(supported)}/unspecified network driver."
            )
        allowed = _allowed_networks(coe)
        if network_driver not in allowed:
            raise exceptions.Invalid(
                f"Network driver type {network_driver} is not allowed, expecting a "
                f"{'/'.join(allowed)}/unspecified network driver. "
            )
    if volume_driver and volume_driver not in _VOLUME[coe]:
        raise exceptions.Invalid(
            f"Volume driver type {volume_driver} is not supported, expecting a "
            f"{'/'.join(_VOLUME[coe])}/unspecified volume driver."
        )


def check_volume_size(storage_driver: str | None, size: int | None) -> None:
    if storage_driver == "devicemapper" and (size is None or size < 3):
        raise exceptions.Invalid(
            f"docker volume size {size} GB is not valid, expecting minimum value 3GB "
            "for devicemapper storage driver."
        )


def boot_volume_size(labels: Mapping[str, str]) -> int:
    value = labels.get("boot_volume_size")
    try:
        return int(value) if value is not None else int(CONF.cinder.default_boot_volume_size)
    except ValueError as exc:
        raise exceptions.Invalid(
            f"Label boot_volume_size must be an integer, got {value}."
        ) from exc


def check_flavors(labels: Mapping[str, str], *flavor_names: str | None) -> None:
    """Nodes boot from the flavor's disk unless a boot volume is asked for.

    As in Magnum, without a boot volume every flavor checked must exist and have
    a root disk, so a null flavor is refused (``Unable to find flavor None.``).
    """
    if boot_volume_size(labels) != 0:
        return
    for name in flavor_names:
        if catalog.find_flavor(name).disk_gb == 0:
            raise exceptions.Invalid(
                "Flavor with zero root volume size is not supported when boot_volume_size is zero."
            )


def check_resources(values: Mapping[str, Any]) -> catalog.Image:
    """Everything the template names must exist in the catalog; returns its image."""
    image = catalog.find_image(values["image_id"])
    for key in ("flavor_id", "master_flavor_id"):
        if values.get(key) is not None:
            catalog.find_flavor(values[key])
    if values.get("external_network_id") is not None:
        catalog.check_external_network(values["external_network_id"])
    if values.get("fixed_network") is not None:
        catalog.check_fixed_network(values["fixed_network"])
    if values.get("fixed_subnet") is not None:
        catalog.check_fixed_subnet(values["fixed_subnet"])
    return image


def check_dns(value: str | None) -> None:
    if not value:
        return
    for entry in value.split(","):
        parts = entry.strip().split(".")
        if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
            raise exceptions.Invalid(
                f"Expected a single dns address or comma separated dns list, but received {value}."
            )
