"""Version documents (no authentication) and the health check."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from moorage.api import microversion, responses
from moorage.api.common import base_url
from moorage.api.responses import documented
from moorage.config import CONF

router = APIRouter()

RESOURCES = (
    "clustertemplates",
    "clusters",
    "quotas",
    "certificates",
    "mservices",
    "stats",
    "federations",
    "credentials",
)
V1 = responses.optional(
    "V1",
    {
        "id": str,
        "media_types": list[responses.Text],
        "links": responses.Links,
        **dict.fromkeys((*RESOURCES, "nodegroups", "bays", "baymodels"), responses.Links),
    },
)


@router.get("/", summary="Supported API versions", **documented(responses.Versions))
def versions(request: Request) -> dict[str, object]:
    return {
        "name": "OpenStack Magnum API",
        "description": "Magnum is an OpenStack project which aims to provide container cluster management.",
        "versions": [
            {
                "id": "v1",
                "links": [{"href": f"{base_url(request)}/v1/", "rel": "self"}],
                "status": "CURRENT",
                "max_version": microversion.MAX_STR,
                "min_version": microversion.MIN_STR,
            }
        ],
    }


@router.get("/v1", summary="The v1 API and its resources", **documented(V1))
def v1(request: Request) -> dict[str, object]:
    base = base_url(request)
    doc: dict[str, object] = {
        "id": "v1",
        "media_types": [
            {"base": "application/json", "type": "application/vnd.openstack.magnum.v1+json"}
        ],
        "links": [
            {"href": f"{base}/v1/", "rel": "self"},
            {
                "href": "http://docs.openstack.org/developer/magnum/dev/api-spec-v1.html",
                "rel": "describedby",
                "type": "text/html",
            },
        ],
    }
    names: tuple[str, ...] = RESOURCES
    if not microversion.of(request).at_least(11):
        names = (*RESOURCES, "bays", "baymodels")
    for name in names:
        doc[name] = [
            {"href": f"{base}/v1/{name}/", "rel": "self"},
            {"href": f"{base}/{name}/", "rel": "bookmark"},
        ]
    doc["nodegroups"] = [
        {"href": f"{base}/v1/clusters/{{cluster_id}}/nodegroups", "rel": "self"},
        {"href": f"{base}/clusters/{{cluster_id}}/nodegroups", "rel": "bookmark"},
    ]
    return doc


@router.get("/healthcheck", response_class=PlainTextResponse, summary="Load balancer health check")
def healthcheck() -> PlainTextResponse:
    if os.path.exists(CONF.api.healthcheck_disable_file):
        return PlainTextResponse("DISABLED BY FILE", status_code=503)
    return PlainTextResponse("OK")
