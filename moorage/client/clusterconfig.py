"""The files that reach a cluster with its COE's own client, and the shell settings.

``moorage cluster config`` writes them to a directory; the dashboard puts them in
a ZIP. Both build them here, from the cluster's CA and a client certificate it signed.
"""

from __future__ import annotations

import base64
import shlex

SWARM = ("swarm", "swarm-mode")
PEMS = ("ca.pem", "cert.pem", "key.pem")


def supported(coe: str | None) -> bool:
    return coe in SWARM or coe == "kubernetes"


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


def settings(coe: str, tls: bool, api: str, cert_dir: str, config_path: str) -> str:
    """The shell line ``eval`` runs. ``cert_dir`` and ``config_path`` are shell text
    already (quoted by the caller), so that a ZIP's env file can name the directory
    it is unpacked in."""
    if coe == "kubernetes":
        return f"export KUBECONFIG={config_path}"
    if tls:
        return (
            f"export DOCKER_HOST={shlex.quote(api)} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={cert_dir}"
        )
    return f"export DOCKER_HOST={shlex.quote(api)}"
