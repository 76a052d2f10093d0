"""Per-cluster certificate authorities and the certificates they issue.

Every cluster gets its own CAs (behaviour.md section 8.1) so that a credential for
one cluster is worthless on any other, and rotating one cluster's CA revokes
everything that cluster ever issued. Certificates follow Magnum's profile (RSA
65537, SHA-256, uuid4 serials, validity from yesterday) so that what Magnum's
drivers and clients expect keeps working.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from moorage import config, exceptions
from moorage.certs import csr_policy

Ext = csr_policy.Ext

# Magnum's CA profile: certificate signing only (CRL signing too, which costs nothing
# and lets a later revocation list be signed by the same CA).
_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
# Magnum's leaf profile: what TLS with an RSA key needs, nothing more.
_LEAF_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=True,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


# What cryptography raises for a CSR it cannot read.
_UNREADABLE = (
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)


class CAKeyError(exceptions.MoorageError):
    """The CA private key given for signing is not usable (not PEM, or not RSA)."""


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate and its unencrypted PEM (PKCS#8) private key.

    The key is left out of repr so that logging a KeyPair, or a traceback showing
    one, never writes a private key into a log file.
    """

    cert_pem: str
    key_pem: str = field(repr=False)


def generate_ca(name: str) -> KeyPair:
    """Create a self-signed CA named ``CN=<name>`` that may sign leaves only (pathlen 0)."""
    key = _new_key()
    subject = _cn(name)
    extensions = [
        _ext(x509.BasicConstraints(ca=True, path_length=0), critical=True),
        _ext(_CA_USAGE, critical=True),
    ]
    cert = _sign(subject, subject, key.public_key(), extensions, key)
    return _keypair(cert, key)


def issue_client_cert(ca: KeyPair, cn: str, org: str | None = None) -> KeyPair:
    """Issue a TLS client certificate, e.g. Magnum's ``CN=admin, O=system:masters``."""
    subject = _name(cn, org)
    return _issue_leaf(ca, subject, [ExtendedKeyUsageOID.CLIENT_AUTH], [])


def issue_server_cert(
    ca: KeyPair, cn: str, ips: Sequence[str] = (), dns_names: Sequence[str] = ()
) -> KeyPair:
    """Issue a TLS server certificate, valid as a client too (peers such as etcd or swarm
    managers use one certificate both ways), naming the given addresses and host names."""
    sans: list[x509.GeneralName] = [x509.DNSName(dns) for dns in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    return _issue_leaf(ca, _name(cn, None), usages, sans)


def sign_csr(ca: KeyPair, csr_pem: str, issuer_name: str) -> str:
    """Sign a user's CSR under Magnum's rules (behaviour.md section 8.2).

    The subject and public key come from the CSR, the extensions only as far as
    ``[x509]`` allows. The PEM is returned without its trailing newline, byte for
    byte what Magnum's API returns.
    """
    csr = _load_csr(csr_pem)
    extensions = csr_policy.filter_extensions(csr.extensions)
    cert = _sign(csr.subject, _cn(issuer_name), csr.public_key(), extensions, _ca_key(ca))
    return _pem(cert).rstrip("\n")


def fingerprint(cert_pem: str) -> str:
    """SHA-256 of the DER certificate as lower-case hex: stable ids for logs and comparisons."""
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def is_signed_by(cert_pem: str, ca_cert_pem: str) -> bool:
    """Whether ``ca_cert_pem`` issued ``cert_pem`` (issuer name and signature both match).

    False rather than an exception for a mismatch, since "no" is the expected answer
    after a CA rotation.
    """
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    ca = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# --- helpers ----------------------------------------------------------------------


def _issue_leaf(
    ca: KeyPair,
    subject: x509.Name,
    purposes: list[x509.ObjectIdentifier],
    sans: list[x509.GeneralName],
) -> KeyPair:
    """Create a key and a non-CA certificate for it, issued by ``ca``."""
    key = _new_key()
    extensions = [
        _ext(_LEAF_USAGE, critical=True),
        _ext(x509.ExtendedKeyUsage(purposes), critical=False),
        _ext(x509.BasicConstraints(ca=False, path_length=None), critical=True),
    ]
    if sans:  # an empty SubjectAltName is invalid DER
        extensions.append(_ext(x509.SubjectAlternativeName(sans), critical=False))
    issuer = x509.load_pem_x509_certificate(ca.cert_pem.encode()).subject
    cert = _sign(subject, issuer, key.public_key(), extensions, _ca_key(ca))
    return _keypair(cert, key)


def _sign(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: CertificatePublicKeyTypes,
    extensions: list[Ext],
    signer: rsa.RSAPrivateKey,
) -> x509.Certificate:
    """Build and sign a certificate with the profile every Moorage certificate shares."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(uuid.uuid4().int)
        .not_valid_before(now - datetime.timedelta(days=1))  # tolerate clock skew
        .not_valid_after(now + datetime.timedelta(days=config.CONF.x509.term_of_validity))
    )
    for ext in extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = builder.add_extension(ski, critical=False)
    return builder.sign(private_key=signer, algorithm=hashes.SHA256())


def _new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key per certificate: Magnum never reuses a key across certificates."""
    return rsa.generate_private_key(public_exponent=65537, key_size=config.CONF.x509.rsa_key_size)


def _ext(value: x509.ExtensionType, critical: bool) -> Ext:
    return x509.Extension(value.oid, critical, value)


def _cn(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def _name(cn: str, org: str | None) -> x509.Name:
    """Subject ``CN=<cn>[, O=<org>]``; Kubernetes reads O as the user's group."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attributes)


def _load_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """Parse the CSR; one not signed by its own key proves no possession, so it is invalid too."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        # Parsed lazily by cryptography: touch them here so a malformed one is a 400.
        csr.public_key()
        _ = csr.extensions
        valid = csr.is_signature_valid
    except _UNREADABLE as exc:
        raise exceptions.Invalid(f"Received invalid csr {csr_pem!r}.") from exc
    if not valid:
        raise exceptions.Invalid(f"Received invalid csr {csr_pem!r}.")
    return csr


def _ca_key(ca: KeyPair) -> rsa.RSAPrivateKey:
    """Load the CA's private key; only RSA CAs are ever generated.

    The key is our own, checked when it was made and kept encrypted since, so the
    library's costly RSA consistency check (about 0.1 s) is skipped on every load.
    """
    try:
        key = serialization.load_pem_private_key(
            ca.key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError) as exc:
        raise CAKeyError("The CA private key is not an unencrypted PEM private key.") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CAKeyError("The CA private key is not an RSA key.")
    return key


def _keypair(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> KeyPair:
    """Serialise unencrypted; at-rest protection is keys.encrypt's job, at one place."""
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return KeyPair(cert_pem=_pem(cert), key_pem=key_pem)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
