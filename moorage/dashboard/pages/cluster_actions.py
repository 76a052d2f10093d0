"""What is done to one cluster: delete (after a confirmation page), resize (naming
the nodes to remove), a rolling upgrade to another template, and "get cluster
config" (the files as a ZIP)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fastapi import APIRouter, Depends, Response

from moorage.client import clusterconfig, pki
from moorage.dashboard import forms
from moorage.dashboard.client import Api, ApiError
from moorage.dashboard.pages.clusters import nodegroups, templates_by_id
from moorage.dashboard.web import (
    Page,
    attempt,
    checked_form,
    confirm,
    form_list,
    page,
    redirect,
    render,
)

router = APIRouter()

# Where the env file finds the files it sits next to, sourced from bash or zsh.
HERE = '"$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"'
ENV_FILE = "env.sh"
RESIZE, UPGRADE = "clusters/resize.html", "clusters/upgrade.html"


@router.get("/clusters/{ident}/delete")
async def delete_confirm(ident: str, p: Page = Depends(page)) -> Response:
    name = (await p.api.get(f"/v1/clusters/{ident}"))["name"]
    post, back = f"/clusters/{ident}/delete", f"/clusters/{ident}"
    return confirm(p, f"Delete cluster {name}?", f"Delete {name}", post, back)


@router.post("/clusters/{ident}/delete")
async def delete(ident: str, p: Page = Depends(page)) -> Response:
    await checked_form(p)
    await p.api.delete(f"/v1/clusters/{ident}")
    return redirect(p, "/clusters", flash="Deleting the cluster.")


async def _cluster_form(
    p: Page, view: str, ident: str, values: dict[str, str], error: str = "", status: int = 200
) -> Response:
    """The resize or upgrade form of a cluster (with its node groups and the templates)."""
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    return render(
        p,
        view,
        status=status,
        cluster=cluster,
        nodegroups=await nodegroups(p.api, cluster["uuid"]),
        templates=list((await templates_by_id(p.api)).values()),
        values=values,
        error=error,
    )


@router.get("/clusters/{ident}/resize")
async def resize_form(ident: str, nodegroup: str = "", p: Page = Depends(page)) -> Response:
    return await _cluster_form(p, RESIZE, ident, {"nodegroup": nodegroup})


@router.post("/clusters/{ident}/resize")
async def resize(ident: str, p: Page = Depends(page)) -> Response:
    form = await checked_form(p)
    body: dict[str, Any] = {"node_count": forms.number(form.get("node_count", ""))}
    if form.get("nodegroup"):
        body["nodegroup"] = form["nodegroup"]
    removed = await form_list(p, "nodes_to_remove")
    if removed:
        body["nodes_to_remove"] = removed

    async def act() -> Response:
        await p.api.post(f"/v1/clusters/{ident}/actions/resize", body)
        return redirect(p, f"/clusters/{ident}", flash=f"Resizing to {body['node_count']} nodes.")

    return await attempt(
        p, act, lambda error, status: _cluster_form(p, RESIZE, ident, form, error, status)
    )


@router.get("/clusters/{ident}/upgrade")
async def upgrade_form(ident: str, p: Page = Depends(page)) -> Response:
    return await _cluster_form(p, UPGRADE, ident, {"max_batch_size": "1"})


@router.post("/clusters/{ident}/upgrade")
async def upgrade(ident: str, p: Page = Depends(page)) -> Response:
    """A rolling upgrade to the chosen template, ``max_batch_size`` nodes at a time."""
    form = await checked_form(p)
    body = forms.body(form, forms.Fields(ints=("max_batch_size",)))

    async def act() -> Response:
        await p.api.post(f"/v1/clusters/{ident}/actions/upgrade", body)
        return redirect(p, f"/clusters/{ident}", flash="Upgrading the cluster.")

    return await attempt(
        p, act, lambda error, status: _cluster_form(p, UPGRADE, ident, form, error, status)
    )


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
