"""Per-cluster certificate authorities: generation, CSR signing, keys encrypted at rest.

Depends only on moorage.config and moorage.exceptions so that the conductor, the
drivers and the CLI can all use it without pulling in the database or the API.
"""

from moorage.certs.authority import (
    KeyPair,
    fingerprint,
    generate_ca,
    is_signed_by,
    issue_client_cert,
    issue_server_cert,
    sign_csr,
)
from moorage.certs.keys import EncryptionKeyError, WrongEncryptionKey, decrypt, encrypt

__all__ = [
    "EncryptionKeyError",
    "KeyPair",
    "WrongEncryptionKey",
    "decrypt",
    "encrypt",
    "fingerprint",
    "generate_ca",
    "is_signed_by",
    "issue_client_cert",
    "issue_server_cert",
    "sign_csr",
]
