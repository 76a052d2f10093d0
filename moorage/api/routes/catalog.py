"""``GET /v1/catalog``: what templates and clusters may name (a Moorage extension).

Magnum's clients ask Glance, Nova and Neutron for images, flavors, networks and
key pairs; Moorage has ``[catalog]`` in their place and, until now, no way for a
client to read it. This route lists it, read-only, so that a client (the
dashboard's forms) can offer the names as choices; the API still validates what
is sent. Outside Magnum's microversions, like the events route. Policy
``catalog:get`` (a project reader, by default).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.responses import documented
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.objects import catalog

router = APIRouter(tags=["catalog"])


@router.get(
    "/catalog",
    summary="List the images, flavors, networks and key pairs (Moorage)",
    **documented(responses.Catalog),
)
def get(ctx: RequestContext = Depends(context_from)) -> dict[str, Any]:
    """The configured catalog, in the order the configuration lists it."""
    policy.authorize(ctx, "catalog:get")
    return {
        "images": [
            {"name": i.name, "os_distro": i.os_distro, "driver": i.driver}
            for i in catalog.images().values()
        ],
        "flavors": [
            {"name": f.name, "vcpus": f.cpus, "ram": f.memory_mb, "disk": f.disk_gb}
            for f in catalog.flavors().values()
        ],
        "external_networks": list(CONF.catalog.external_networks),
        "networks": list(CONF.catalog.networks),
        "subnets": list(CONF.catalog.subnets),
        "keypairs": list(CONF.catalog.keypairs),
    }
