"""``/v1/certificates``: a cluster's CA certificate, signing users' CSRs, CA rotation.

Moorage keeps **one CA per cluster**. Magnum generates three (the main
Kubernetes CA, an etcd CA and a front-proxy CA); Moorage's drivers use only the
main one, so ``ca_cert_type`` is accepted as Magnum accepts it (``etcd``,
``front_proxy``/``front-proxy``, anything else) and every value names that same
CA: GET returns its certificate and POST signs with it. No separate etcd or
front-proxy CA is made up.

The certificate work is done by the conductor through synchronous RPC calls
(``get_ca_certificate``, ``sign_certificate``, ``rotate_ca_certificate``), whose
typed errors become HTTP errors here. Clusters are looked up in the caller's
project only (admins get no cross-project view here, as in Magnum); the policy
target is the cluster, so certificate:get/create also need its creating user.
No response ever carries a private key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from moorage import exceptions
from moorage.api import policy, responses
from moorage.api.auth import context_from
from moorage.api.common import json_body, json_document, links, optional_json_document
from moorage.api.responses import documented
from moorage.context import RequestContext
from moorage.db.session import transaction
from moorage.objects.fields import Field, Schema, Str, json_schema, parse_body
from moorage.rpc import api as rpc_api
from moorage.services import templates
from moorage.services.clusters import lookup, target

router = APIRouter(tags=["certificates"])

COLLECTION = "certificates"
# A PEM CSR or certificate: no practical length limit (Magnum sets none).
PEM_MAX = 1 << 20

SCHEMA: Schema = {
    "cluster_uuid": Field(Str(1, 255), mandatory=True),
    # Legacy name of cluster_uuid (bays); folded into cluster_uuid before parsing.
    "bay_uuid": Field(Str(1, 255), ignored=True),
    "csr": Field(Str(1, PEM_MAX), mandatory=True),
    # Accepted and ignored: the signed PEM is the answer, not an input.
    "pem": Field(Str(0, PEM_MAX), ignored=True),
    "ca_cert_type": Field(Str(0, 255)),
    "links": Field(Str(), readonly=True),
}


@router.get(
    "/certificates/{cluster_ident}",
    summary="Show a cluster's CA certificate",
    **documented(responses.Certificate),
)
def get_one(
    request: Request,
    cluster_ident: str,
    ca_cert_type: str | None = None,
    ctx: RequestContext = Depends(context_from),
) -> dict[str, Any]:
    """The cluster CA's PEM, for every ``ca_cert_type`` (one CA per cluster)."""
    del ca_cert_type  # etcd and front-proxy name the cluster's one CA too
    with transaction() as session:
        cluster = lookup(session, ctx, cluster_ident)
        policy.authorize(ctx, "certificate:get", target(cluster))
        uuid = cluster.uuid
    pem = rpc_api.get_ca_certificate(ctx, uuid)
    return {"cluster_uuid": uuid, "pem": pem, "links": links(request, COLLECTION, uuid)}


@router.post(
    "/certificates",
    status_code=201,
    summary="Sign a CSR with a cluster's CA",
    openapi_extra=json_body(json_schema(SCHEMA)),
    **documented(responses.Certificate, 201),
)
def create(
    request: Request,
    ctx: RequestContext = Depends(context_from),
    body: Any = Depends(json_document),
) -> dict[str, Any]:
    if isinstance(body, dict) and body.get("cluster_uuid") is None and body.get("bay_uuid"):
        body = {**body, "cluster_uuid": body["bay_uuid"]}
    values = parse_body("certificate", body, SCHEMA)
    with transaction() as session:
        try:
            cluster = lookup(session, ctx, values["cluster_uuid"])
        except exceptions.NotFound as exc:
            # Not found is the request's fault on a POST: 400, as in Magnum.
            raise exceptions.Invalid(exc.text) from exc
        policy.authorize(ctx, "certificate:create", target(cluster))
        uuid = cluster.uuid
    pem = rpc_api.sign_certificate(ctx, uuid, values["csr"])
    result = {"cluster_uuid": uuid, "csr": values["csr"], "pem": pem}
    if values.get("ca_cert_type") is not None:
        result["ca_cert_type"] = values["ca_cert_type"]
    result["links"] = links(request, COLLECTION, uuid)
    return result


@router.patch(
    "/certificates/{cluster_ident}",
    status_code=202,
    summary="Rotate a cluster's CA",
    **documented(responses.Accepted, 202),
)
def rotate_ca(
    request: Request,
    cluster_ident: str,
    ctx: RequestContext = Depends(context_from),
    _document: Any = Depends(optional_json_document),
) -> dict[str, str]:
    """New CA and client certificate now, then the driver rolls the CA out.

    Clients send no body (some with ``Content-Type: application/octet-stream``).
    """
    with transaction() as session:
        cluster = lookup(session, ctx, cluster_ident)
        policy.authorize(ctx, "certificate:rotate_ca", target(cluster))
        template = templates.of_cluster(session, cluster)
        if template is not None and template.tls_disabled:
            raise exceptions.NotSupported(
                "Rotating the CA certificate on a non-TLS cluster is not supported"
            )
        uuid = cluster.uuid
    rpc_api.rotate_ca_certificate(ctx, uuid)
    return {"uuid": uuid}
