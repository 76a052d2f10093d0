"""``moorage cluster config``: credentials and settings to reach a cluster with its COE's client."""

from __future__ import annotations

import base64
import os
import shlex
from pathlib import Path
from typing import Any

from moorage.cli import options
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime
from moorage.client import clusterconfig as shared
from moorage.client import pki
from moorage.client.clusterconfig import PEMS, SWARM, kubeconfig


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by the owner only (0600), whatever the umask.

    O_EXCL and O_NOFOLLOW: never through a symbolic link, never over a file that
    appeared since the checks (``--force`` removes the old file first).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise CliError(f"ERROR: cannot write {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text if text.endswith("\n") else text + "\n")


def _prepare(directory: Path) -> None:
    """Make the directory (0700) before a certificate is signed for nothing."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return
    except FileExistsError:
        reason = "it is not a directory"
    except OSError as exc:
        reason = str(exc.strerror)
    raise CliError(f"ERROR: cannot use {directory} as the directory for the files: {reason}")


def _existing(directory: Path, names: list[str]) -> list[str]:
    """The names already there; a symbolic link among them is refused, ``--force`` or not."""
    for name in names:
        if (directory / name).is_symlink():
            raise CliError(f"ERROR: {directory / name} is a symbolic link; refusing to write it")
    return [name for name in names if (directory / name).exists()]


def _kubeconfig_credentials(text: str, server: str) -> dict[str, str] | None:
    """The PEMs embedded in a kubeconfig written by ``kubeconfig`` for ``server``."""
    fields = dict(line.strip().split(": ", 1) for line in text.splitlines() if ": " in line)
    keys = {
        "ca.pem": "certificate-authority-data",
        "cert.pem": "client-certificate-data",
        "key.pem": "client-key-data",
    }
    if fields.get("server") != server or not all(k in fields for k in keys.values()):
        return None
    try:
        return {name: base64.b64decode(fields[key]).decode() for name, key in keys.items()}
    except (ValueError, UnicodeDecodeError):
        return None


def _reusable(rt: Runtime, cluster: dict[str, Any], directory: Path, names: list[str]) -> bool:
    """Whether the files there are this cluster's credentials (then nothing is re-signed)."""
    try:
        texts = {name: (directory / name).read_text() for name in names}
    except (OSError, UnicodeDecodeError):
        return False
    sets = [{n: texts[n] for n in PEMS}] if "ca.pem" in texts else []
    if "config" in texts:
        sets.append(_kubeconfig_credentials(texts["config"], cluster["api_address"]) or {})
    authority = rt.client.get(f"/v1/certificates/{cluster['uuid']}")["pem"]
    return all(
        s and pki.issued_by(authority, s["ca.pem"], s["cert.pem"], s["key.pem"]) for s in sets
    )


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
    if not shared.supported(coe):
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
    _prepare(directory)
    existing = _existing(directory, names)
    if a.force or not existing:
        _write_files(rt, cluster, directory, names)
    elif existing != names or not _reusable(rt, cluster, directory, names):
        paths = ", ".join(str(directory / n) for n in existing)
        raise CliError(
            f"ERROR: {paths} already exist(s) and are not credentials of cluster "
            f"{cluster['name']}; use --force to overwrite"
        )
    rt.out.line(_settings(coe, tls, api, directory))
    return 0


def _write_files(rt: Runtime, cluster: dict[str, Any], directory: Path, names: list[str]) -> None:
    files = _credentials(rt, cluster["uuid"]) if names else {}
    if "config" in names:
        files["config"] = kubeconfig(
            cluster["name"],
            cluster["api_address"],
            files["ca.pem"],
            files["cert.pem"],
            files["key.pem"],
        )
    for name in names:
        (directory / name).unlink(missing_ok=True)  # --force; never a symlink (see _existing)
        write_private(directory / name, files[name])


def _settings(coe: str, tls: bool, api: str, directory: Path) -> str:
    """The shell line ``eval`` runs, every value quoted."""
    return shared.settings(
        coe, tls, api, shlex.quote(str(directory)), shlex.quote(str(directory / "config"))
    )


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
