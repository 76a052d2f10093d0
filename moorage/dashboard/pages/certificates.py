"""A cluster's certificates and credentials: its CA (shown), a CSR signed by it,
CA rotation and credential rotation (each after a confirmation), as
``openstack coe ca show|sign|rotate`` and ``coe credential rotate`` do them."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Response

from moorage.dashboard.web import Page, attempt, checked_form, confirm, page, redirect, render

router = APIRouter()


async def _ca_page(
    p: Page,
    ident: str,
    values: dict[str, str],
    signed: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    cluster = await p.api.get(f"/v1/clusters/{ident}")
    ca = await p.api.get(f"/v1/certificates/{cluster['uuid']}")
    return render(
        p,
        "clusters/ca.html",
        status=status,
        cluster=cluster,
        ca=ca,
        signed=signed,
        values=values,
        error=error,
    )


@router.get("/clusters/{ident}/ca")
async def ca_show(ident: str, p: Page = Depends(page)) -> Response:
    return await _ca_page(p, ident, {})


@router.post("/clusters/{ident}/ca/sign")
async def ca_sign(ident: str, p: Page = Depends(page)) -> Response:
    """The CSR as pasted; the signed certificate is shown on the same page."""
    form = await checked_form(p)

    async def act() -> Response:
        cluster = await p.api.get(f"/v1/clusters/{ident}")
        body = {"cluster_uuid": cluster["uuid"], "csr": form.get("csr", "")}
        signed = await p.api.post("/v1/certificates", body)
        return await _ca_page(p, ident, form, signed=signed["pem"])

    return await attempt(
        p, act, lambda error, status: _ca_page(p, ident, form, error=error, status=status)
    )


@dataclass(frozen=True)
class Rotation:
    """What a rotation's confirmation says, the API path it PATCHes, what is flashed."""

    title: str
    button: str
    path: str
    done: str
    warning: str = ""


ROTATIONS = {
    "rotate-ca": Rotation(
        "Rotate the CA of {}?",
        "Rotate the CA",
        "/v1/certificates/{}",
        "Rotating the CA: certificates signed by the old one stop working.",
        "Certificates signed by the old CA will no longer be accepted.",
    ),
    "rotate-credentials": Rotation(
        "Rotate the credentials of {}?",
        "Rotate credentials",
        "/v1/credentials/{}",
        "Rotating the credentials.",
    ),
}


async def _confirm(p: Page, action: str, ident: str) -> Response:
    rotation = ROTATIONS[action]
    name = (await p.api.get(f"/v1/clusters/{ident}"))["name"]
    back = f"/clusters/{ident}"
    title = rotation.title.format(name)
    return confirm(p, title, rotation.button, f"{back}/{action}", back, rotation.warning)


async def _rotate(p: Page, action: str, ident: str) -> Response:
    """A body-less PATCH, as Magnum's client sends it; a refusal is shown with the
    API's text (the error page)."""
    rotation = ROTATIONS[action]
    await checked_form(p)
    uuid = (await p.api.get(f"/v1/clusters/{ident}"))["uuid"]
    await p.api.request("PATCH", rotation.path.format(uuid))
    return redirect(p, f"/clusters/{ident}", flash=rotation.done)


def _add_routes(action: str) -> None:
    """``GET`` asks, ``POST`` rotates, at ``/clusters/{ident}/<action>``."""

    async def ask(ident: str, p: Page = Depends(page)) -> Response:
        return await _confirm(p, action, ident)

    async def act(ident: str, p: Page = Depends(page)) -> Response:
        return await _rotate(p, action, ident)

    router.add_api_route(f"/clusters/{{ident}}/{action}", ask, methods=["GET"])
    router.add_api_route(f"/clusters/{{ident}}/{action}", act, methods=["POST"])


for _action in ROTATIONS:
    _add_routes(_action)
