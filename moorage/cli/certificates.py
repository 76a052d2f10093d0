"""``moorage ca ...``: a cluster's certificate authority (``openstack coe ca``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moorage.cli import options
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime


def _cluster_uuid(rt: Runtime) -> str:
    return str(rt.client.get(f"/v1/clusters/{rt.args.cluster}")["uuid"])


def _print_pem(rt: Runtime, certificate: dict[str, Any]) -> None:
    """The PEM as is (so it can be redirected to a file), or the whole object with -f json."""
    if rt.out.fmt == "json":
        rt.out.json({k: v for k, v in certificate.items() if k != "links"})
    else:
        rt.out.line(str(certificate["pem"]).rstrip("\n"))


def show(rt: Runtime) -> int:
    _print_pem(rt, rt.client.get(f"/v1/certificates/{_cluster_uuid(rt)}"))
    return 0


def sign(rt: Runtime) -> int:
    try:
        csr = Path(rt.args.csr_file).read_text()
    except OSError as exc:
        raise CliError(f"ERROR: cannot read {rt.args.csr_file}: {exc.strerror}") from exc
    body = {"cluster_uuid": _cluster_uuid(rt), "csr": csr}
    _print_pem(rt, rt.client.post("/v1/certificates", body))
    return 0


def rotate(rt: Runtime) -> int:
    uuid = _cluster_uuid(rt)
    answer = rt.client.patch(f"/v1/certificates/{uuid}") or {"uuid": uuid}
    rt.out.accepted(f"Request to rotate the CA certificate of cluster {uuid} accepted.", answer)
    return 0


def register(sub: Any) -> None:
    verbs = options.group(sub, "ca", "The certificate authority of a cluster.")
    p = options.command(verbs, "show", show, "Print the CA certificate of a cluster.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p = options.command(verbs, "sign", sign, "Have the cluster's CA sign a CSR; print the cert.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p.add_argument("csr_file", help="File with the PEM certificate signing request.")
    p = options.command(verbs, "rotate", rotate, "Replace the CA of a cluster.")
    p.add_argument("cluster", help="Cluster name or uuid.")
