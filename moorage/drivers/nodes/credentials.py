"""TLS material of a cluster: node server certificates and the conductor's client certificate.

Both come from the cluster CA that the conductor hands over in ``spec.ca`` for the
duration of one operation. The client certificate is issued per operation and
its files live in a private temporary directory that is removed when the
operation ends (the Docker SDK reads certificates from files only).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from moorage.certs.authority import KeyPair, issue_client_cert, issue_server_cert
from moorage.drivers.base import CaBundle
from moorage.drivers.dockerapi import TlsFiles

CLIENT_CN = "moorage-conductor"


def keypair(ca: CaBundle) -> KeyPair:
    return KeyPair(cert_pem=ca.cert_pem, key_pem=ca.key_pem)


def server_files(ca: CaBundle, name: str, ip: str, tls_dir: str) -> dict[str, tuple[bytes, int]]:
    """A node's server certificate, key and the CA, as files in ``tls_dir`` (where the
    COE's API server reads them); the SANs cover the node's address (other nodes, the
    conductor) and 127.0.0.1 (the host-published port)."""
    cert = issue_server_cert(
        keypair(ca), name, ips=[ip, "127.0.0.1"], dns_names=[name, "localhost"]
    )
    return {
        f"{tls_dir}/ca.pem": (ca.cert_pem.encode(), 0o644),
        f"{tls_dir}/server-cert.pem": (cert.cert_pem.encode(), 0o644),
        f"{tls_dir}/server-key.pem": (cert.key_pem.encode(), 0o600),
    }


class ClientCredentials:
    """The conductor's client certificate for one operation, as files."""

    def __init__(self, ca: CaBundle) -> None:
        pair = issue_client_cert(keypair(ca), CLIENT_CN)
        self._dir = tempfile.mkdtemp(prefix="moorage-tls-")
        self.files = TlsFiles(
            ca=self._write("ca.pem", ca.cert_pem),
            cert=self._write("cert.pem", pair.cert_pem),
            key=self._write("key.pem", pair.key_pem),
        )

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self._dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
