"""``moorage cluster config``: credentials and settings to reach a cluster with its COE's client."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from moorage.cli import options, pki
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime

SWARM = ("swarm", "swarm-mode")
PEMS = ("ca.pem", "cert.pem", "key.pem")


def kubeconfig(name: str, server: str, ca: str, cert: str, key: str) -> str:
    """A kubeconfig with the certificates embedded: cluster ``name``, user admin, context default."""

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        f"    certificate-authority-data: {b64(ca)}\n"
        f"    server: {server}\n"
        f"  name: {name}\n"
        "contexts:\n"
        "- context:\n"
        f"    cluster: {name}\n"
        "    user: admin\n"
        "  name: default\n"
        "current-context: default\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        "- name: admin\n"
        "  user:\n"
        f"    client-certificate-data: {b64(cert)}\n"
        f"    client-key-data: {b64(key)}\n"
    )


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (0600), whatever the umask or old mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text if text.endswith("\n") else text + "\n")


def _credentials(rt: Runtime, uuid: str) -> dict[str, str]:
    """CA, a freshly signed client certificate and its key, as PEM texts."""
    key, csr = pki.key_and_csr()
    signed = rt.client.post("/v1/certificates", {"cluster_uuid": uuid, "csr": csr})
    ca = rt.client.get(f"/v1/certificates/{uuid}")
    return {"ca.pem": ca["pem"], "cert.pem": signed["pem"], "key.pem": key}


def config(rt: Runtime) -> int:
    a = rt.args
    cluster = rt.client.get(f"/v1/clusters/{a.cluster}")
    template = rt.client.get(f"/v1/clustertemplates/{cluster['cluster_template_id']}")
    coe = template.get("coe")
    if coe not in SWARM and coe != "kubernetes":
        raise CliError(f"ERROR: cluster config does not support the COE {coe!r}")
    api = cluster.get("api_address")
    if not api:
        raise CliError(
            f"ERROR: cluster {cluster['name']} has no API address yet "
            f"(status {cluster.get('status')})"
        )
    directory = Path(a.dir).expanduser().resolve()
    tls = not template.get("tls_disabled")
    if coe == "kubernetes" and not tls:
        raise CliError("ERROR: a kubeconfig for a cluster without TLS is not supported")
    names = [n for n in PEMS if tls and (coe in SWARM or a.output_certs)]
    if coe == "kubernetes":
        names.append("config")
    existing = [str(directory / n) for n in names if (directory / n).exists()]
    if existing and not a.force:
        raise CliError(f"ERROR: {', '.join(existing)} already exist(s); use --force to overwrite")

    files: dict[str, str] = _credentials(rt, cluster["uuid"]) if tls else {}
    if coe == "kubernetes":
        files["config"] = kubeconfig(
            cluster["name"], api, files["ca.pem"], files["cert.pem"], files["key.pem"]
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        write_private(directory / name, files[name])

    if coe == "kubernetes":
        rt.out.line(f"export KUBECONFIG={directory / 'config'}")
    elif tls:
        rt.out.line(f"export DOCKER_HOST={api} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={directory}")
    else:
        rt.out.line(f"export DOCKER_HOST={api}")
    return 0


def register(verbs: Any) -> None:
    p = options.command(
        verbs, "config", config, "Write credentials for a cluster and print the shell settings."
    )
    p.add_argument("cluster", help="Name or uuid.")
    p.add_argument("--dir", default=".", help="Directory for the files (default: here).")
    p.add_argument("--force", action="store_true", help="Overwrite existing files.")
    p.add_argument(
        "--output-certs",
        action="store_true",
        help="Kubernetes: also write ca.pem, cert.pem and key.pem.",
    )
