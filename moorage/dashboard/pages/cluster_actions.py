"""What is done to one cluster: delete (after a confirmation page), resize (naming
the nodes to remove), and "get cluster config" (the files as a ZIP)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fastapi import APIRouter, Depends, Response

from moorage.client import clusterconfig, pki
from moorage.dashboard import forms
from moorage.dashboard.client import Api, ApiError, Unauthenticated
from moorage.dashboard.pages.clusters import nodegroups
from moorage.dashboard.web import (
    Page,
    checked_form,
    form_list,
    note_refusal,
    page,
    redirect,
    render,
)

router = APIRouter()

# Where the env file finds the files it sits next to, sourced from bash or zsh.
HERE = '"$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"'
ENV_FILE = "env.sh"


@router.get("/clusters/{ident}/delete")
async def delete_confirm(ident: str, p: Page = Depends(page)) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    return render(p, "confirm.html", thing="cluster", item=cluster, action=f"/clusters/{ident}")


@router.post("/clusters/{ident}/delete")
async def delete(ident: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(f"/v1/clusters/{ident}")
    return redirect(p, "/clusters", flash="Deleting the cluster.")


async def _resize_form(
    p: Page, ident: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    groups = await nodegroups(p.api, cluster["uuid"])
    return render(
        p,
        "clusters/resize.html",
        status=status,
        cluster=cluster,
        nodegroups=groups,
        values=values,
        error=error,
    )


@router.get("/clusters/{ident}/resize")
async def resize_form(ident: str, nodegroup: str = "", p: Page = Depends(page)) -> Response:
    return await _resize_form(p, ident, {"nodegroup": nodegroup})


@router.post("/clusters/{ident}/resize")
async def resize(ident: str, p: Page = Depends(page)) -> Response:
    form = await checked_form(p)
    body: dict[str, Any] = {"node_count": forms.number(form.get("node_count", ""))}
    if form.get("nodegroup"):
        body["nodegroup"] = form["nodegroup"]
    removed = await form_list(p, "nodes_to_remove")
    if removed:
        body["nodes_to_remove"] = removed
    try:
        await p.api.post(f"/v1/clusters/{ident}/actions/resize", body)
    except Unauthenticated:
        raise
    except ApiError as exc:
        return await _resize_form(p, ident, form, note_refusal(p, exc), exc.status)
    return redirect(p, f"/clusters/{ident}", flash=f"Resizing to {body['node_count']} nodes.")


async def config_files(api: Api, cluster: dict[str, Any]) -> dict[str, str]:
    """What ``moorage cluster config`` writes for this cluster, plus the settings as
    an env file to source from the unpacked directory."""
    template = await api.get(f"/v1/clustertemplates/{cluster['cluster_template_id']}")
    coe, tls, address = (
        template.get("coe"),
        not template.get("tls_disabled"),
        cluster.get("api_address"),
    )
    if not clusterconfig.supported(coe):
        raise ApiError(400, f"Cluster config does not support the COE {coe!r}.")
    if not address:
        raise ApiError(409, f"The cluster has no API address yet (status {cluster.get('status')}).")
    if coe == "kubernetes" and not tls:
        raise ApiError(400, "A kubeconfig for a cluster without TLS is not supported.")
    files: dict[str, str] = {}
    if tls:
        key, csr = pki.key_and_csr()
        signed = await api.post("/v1/certificates", {"cluster_uuid": cluster["uuid"], "csr": csr})
        ca = await api.get(f"/v1/certificates/{cluster['uuid']}")
        files = {"ca.pem": ca["pem"], "cert.pem": signed["pem"], "key.pem": key}
    if coe == "kubernetes":
        files = {"config": clusterconfig.kubeconfig(cluster["name"], address, *files.values())}
    files[ENV_FILE] = clusterconfig.settings(str(coe), tls, address, HERE, HERE + "/config")
    return files


@router.get("/clusters/{ident}/config")
async def config_zip(ident: str, p: Page = Depends(page)) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    files = await config_files(p.api, cluster)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(f"{cluster['name']}/{name}")
            info.external_attr = 0o600 << 16  # the key stays the owner's when unpacked
            archive.writestr(info, text if text.endswith("\n") else text + "\n")
    disposition = f'attachment; filename="{cluster["name"]}-config.zip"'
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
