"""A client key and a certificate signing request, made locally (the key never leaves)."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import NameOID


def key_and_csr(
    common_name: str = "admin", organization: str = "system:masters"
) -> tuple[str, str]:
    """An RSA-2048 key and a CSR for ``CN=<common_name>, O=<organization>``, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return key_pem.decode(), csr.public_bytes(serialization.Encoding.PEM).decode()


def issued_by(authority_pem: str, ca_pem: str, cert_pem: str, key_pem: str) -> bool:
    """Whether files already written are credentials of the cluster whose CA is
    ``authority_pem``: the same CA, a current certificate it signed, and its key."""
    try:
        authority = x509.load_pem_x509_certificate(authority_pem.encode())
        ca = x509.load_pem_x509_certificate(ca_pem.encode())
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        cert.verify_directly_issued_by(authority)
        key = serialization.load_pem_private_key(key_pem.encode(), None)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return (
        ca == authority
        and cert.not_valid_after_utc > datetime.now(UTC)
        and _public_der(key.public_key()) == _public_der(cert.public_key())
    )


def _public_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
