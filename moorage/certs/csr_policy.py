"""Which CSR extensions a signed certificate may carry (Magnum's ``x509.validator``).

Anyone allowed to ``POST /v1/certificates`` gets a certificate from the cluster's CA,
so the CSR must not be able to make itself a CA or claim usages the operator did not
allow. The rules and the error texts are Magnum's, because clients and tempest compare
them (behaviour.md section 8.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from moorage import config, exceptions

# The names operators write in ``[x509] allowed_extensions`` (OpenSSL's short names,
# as Magnum reads them from cryptography's OID table).
_EXTENSION_NAMES: dict[x509.ObjectIdentifier, str] = {
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "authorityInfoAccess",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "authorityKeyIdentifier",
    ExtensionOID.BASIC_CONSTRAINTS: "basicConstraints",
    ExtensionOID.CERTIFICATE_POLICIES: "certificatePolicies",
    ExtensionOID.CRL_DISTRIBUTION_POINTS: "cRLDistributionPoints",
    ExtensionOID.EXTENDED_KEY_USAGE: "extendedKeyUsage",
    ExtensionOID.FRESHEST_CRL: "freshestCRL",
    ExtensionOID.INHIBIT_ANY_POLICY: "inhibitAnyPolicy",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME: "issuerAltName",
    ExtensionOID.KEY_USAGE: "keyUsage",
    ExtensionOID.NAME_CONSTRAINTS: "nameConstraints",
    ExtensionOID.OCSP_NO_CHECK: "OCSPNoCheck",
    ExtensionOID.POLICY_CONSTRAINTS: "policyConstraints",
    ExtensionOID.POLICY_MAPPINGS: "policyMappings",
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "subjectAltName",
    ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES: "subjectDirectoryAttributes",
    ExtensionOID.SUBJECT_INFORMATION_ACCESS: "subjectInfoAccess",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "subjectKeyIdentifier",
    ExtensionOID.TLS_FEATURE: "TLSFeature",
}

# KeyUsage attribute per name used in ``[x509] allowed_key_usage``, in the order of
# x509.KeyUsage's constructor arguments.
KEY_USAGE_NAMES: dict[str, str] = {
    "Digital Signature": "digital_signature",
    "Non Repudiation": "content_commitment",
    "Key Encipherment": "key_encipherment",
    "Data Encipherment": "data_encipherment",
    "Key Agreement": "key_agreement",
    "Certificate Sign": "key_cert_sign",
    "CRL Sign": "crl_sign",
    "Encipher Only": "encipher_only",
    "Decipher Only": "decipher_only",
}
_CA_KEY_USAGES = frozenset({"Certificate Sign", "CRL Sign"})

Ext = x509.Extension[x509.ExtensionType]


class ExtensionNotAllowed(exceptions.Invalid):
    """A CSR asks for something that must not be ignored and must not be granted."""

    def __init__(self, ext: Ext) -> None:
        super().__init__(f"Extension '{extension_name(ext.oid)}' not allowed")


def extension_name(oid: x509.ObjectIdentifier) -> str:
    """Short name of an extension; unknown ones go by dotted OID so operators can allow them."""
    return _EXTENSION_NAMES.get(oid, oid.dotted_string)


def filter_extensions(extensions: Iterable[Ext]) -> list[Ext]:
    """Return the CSR extensions a signed certificate may carry, or raise ExtensionNotAllowed.

    SubjectKeyIdentifier is left out even when allowed: the signer always computes
    its own from the public key, and a certificate may not carry it twice.
    """
    allow_ca: bool = config.CONF.x509.allow_ca
    usages = _allowed_key_usages(allow_ca)
    kept = []
    for ext in _allowed(extensions):
        if ext.oid == ExtensionOID.KEY_USAGE:
            ext = _reduce_key_usage(ext, usages)
        elif ext.oid == ExtensionOID.BASIC_CONSTRAINTS and not allow_ca:
            ext = _forbid_ca(ext)
        if ext.oid != ExtensionOID.SUBJECT_KEY_IDENTIFIER:
            kept.append(ext)
    return kept


def _allowed(extensions: Iterable[Ext]) -> Iterator[Ext]:
    """Drop extensions not in ``[x509] allowed_extensions``; refuse critical ones."""
    allowed = set(config.CONF.x509.allowed_extensions)
    for ext in extensions:
        if extension_name(ext.oid) in allowed:
            yield ext
        elif ext.critical:
            raise ExtensionNotAllowed(ext)


def _allowed_key_usages(allow_ca: bool) -> set[str]:
    """Usages from the configuration, minus certificate/CRL signing unless CAs are allowed."""
    usages = set(config.CONF.x509.allowed_key_usage)
    return usages if allow_ca else usages - _CA_KEY_USAGES


def _reduce_key_usage(ext: Ext, allowed: set[str]) -> Ext:
    """Clear forbidden usage bits; a critical KeyUsage cannot be weakened, so it fails."""
    assert isinstance(ext.value, x509.KeyUsage)
    bits = {}
    for name, attr in KEY_USAGE_NAMES.items():
        asked = _usage_bit(ext.value, attr)
        if asked and name not in allowed:
            if ext.critical:
                raise ExtensionNotAllowed(ext)
            asked = False
        bits[attr] = asked
    if not bits["key_agreement"]:
        # Only meaningful with key agreement; x509.KeyUsage refuses them otherwise.
        bits["encipher_only"] = bits["decipher_only"] = False
    usage = x509.KeyUsage(**bits)
    return x509.Extension(usage.oid, ext.critical, usage)


def _usage_bit(usage: x509.KeyUsage, attr: str) -> bool:
    """Read one bit; cryptography raises for encipher/decipher_only without key agreement."""
    try:
        return bool(getattr(usage, attr))
    except ValueError:
        return False


def _forbid_ca(ext: Ext) -> Ext:
    """Turn CA:true into CA:false, unless critical, which the CSR says must be honoured."""
    assert isinstance(ext.value, x509.BasicConstraints)
    if not ext.value.ca:
        return ext
    if ext.critical:
        raise ExtensionNotAllowed(ext)
    constraints = x509.BasicConstraints(ca=False, path_length=None)
    return x509.Extension(constraints.oid, False, constraints)
