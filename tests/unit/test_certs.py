"""Tests of moorage.certs: CA profile, Magnum's CSR rules, keys encrypted at rest."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from moorage import exceptions, secretfile
from moorage.certs import authority, keys
from moorage.certs.authority import KeyPair
from moorage.config import CONF

Override = Callable[..., None]

_NO_USAGE = dict.fromkeys(
    (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ),
    False,
)


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture(autouse=True)
def override(tmp_path: Path) -> Iterator[Override]:
    """Point state_path at tmp_path and undo every override the test makes."""
    made: list[tuple[str, str | None]] = []

    def _set(name: str, value: object, group: str | None = None) -> None:
        CONF.set_override(name, value, group=group)
        made.append((name, group))

    _set("state_path", str(tmp_path))
    yield _set
    for name, group in made:
        CONF.clear_override(name, group=group)


@pytest.fixture(scope="module")
def ca() -> KeyPair:
    return authority.generate_ca("k8s-cluster")


@pytest.fixture(scope="module")
def user_key() -> rsa.RSAPrivateKey:
    """The 2048-bit key python-magnumclient generates for ``coe cluster config``."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def make_csr(
    key: rsa.RSAPrivateKey,
    *extensions: tuple[x509.ExtensionType, bool],
    cn: str = "admin",
    org: str | None = "system:masters",
) -> str:
    """A CSR built like python-magnumclient's, plus the extensions given."""
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def key_usage(**bits: bool) -> x509.KeyUsage:
    return x509.KeyUsage(**{**_NO_USAGE, **bits})


def signed(ca: KeyPair, csr_pem: str) -> x509.Certificate:
    return cert(authority.sign_csr(ca, csr_pem, "k8s-cluster"))


def assert_refused(ca: KeyPair, csr_pem: str, message: str) -> None:
    with pytest.raises(exceptions.Invalid) as caught:
        authority.sign_csr(ca, csr_pem, "k8s-cluster")
    assert str(caught.value) == message


# --- the CA -------------------------------------------------------------------------


def test_ca_is_self_signed_with_magnum_subject(ca: KeyPair) -> None:
    ca_cert = cert(ca.cert_pem)
    expected = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k8s-cluster")])
    assert ca_cert.subject == expected
    assert ca_cert.issuer == expected
    ca_cert.verify_directly_issued_by(ca_cert)
    assert isinstance(ca_cert.signature_hash_algorithm, hashes.SHA256)


def test_ca_extensions(ca: KeyPair) -> None:
    ca_cert = cert(ca.cert_pem)
    bc = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    ku = ca_cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value == key_usage(key_cert_sign=True, crl_sign=True)
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(ca_cert.public_key())
    oids = {ext.oid for ext in ca_cert.extensions}
    assert ExtensionOID.AUTHORITY_KEY_IDENTIFIER not in oids  # Magnum adds none


def test_ca_key_is_rsa_of_configured_size(ca: KeyPair) -> None:
    key = serialization.load_pem_private_key(ca.key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == CONF.x509.rsa_key_size == 2048
    assert key.public_key().public_numbers().e == 65537
    assert ca.key_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    assert key.public_key() == cert(ca.cert_pem).public_key()


def test_validity_from_yesterday_for_term_of_validity(override: Override, ca: KeyPair) -> None:
    override("term_of_validity", 30, group="x509")
    client = cert(authority.issue_client_cert(ca, "admin").cert_pem)
    now = datetime.datetime.now(datetime.UTC)
    slack = datetime.timedelta(minutes=5)
    before, after = client.not_valid_before_utc, client.not_valid_after_utc
    assert abs(before - (now - datetime.timedelta(days=1))) < slack
    assert abs(after - (now + datetime.timedelta(days=30))) < slack
    default_after = cert(ca.cert_pem).not_valid_after_utc
    assert abs(default_after - (now + datetime.timedelta(days=1825))) < slack


def test_serials_are_random_uuid_sized(ca: KeyPair) -> None:
    serials = {cert(authority.issue_client_cert(ca, "a").cert_pem).serial_number for _ in "ab"}
    assert len(serials) == 2
    assert all(0 < s < 2**128 for s in serials)


def test_key_pair_repr_hides_the_private_key(ca: KeyPair) -> None:
    text = repr(ca)
    assert "PRIVATE KEY" not in text
    assert "key_pem" not in text
    assert "cert_pem" in text


# --- issued certificates ------------------------------------------------------------


def test_client_cert_verifies_against_ca(ca: KeyPair) -> None:
    pair = authority.issue_client_cert(ca, "admin", "system:masters")
    client = cert(pair.cert_pem)
    client.verify_directly_issued_by(cert(ca.cert_pem))
    assert authority.is_signed_by(pair.cert_pem, ca.cert_pem)
    assert client.subject.rfc4514_string() == "O=system:masters,CN=admin"
    assert client.issuer == cert(ca.cert_pem).subject
    key = serialization.load_pem_private_key(pair.key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.public_key() == client.public_key()


def test_client_cert_extensions(ca: KeyPair) -> None:
    exts = cert(authority.issue_client_cert(ca, "admin", None).cert_pem).extensions
    ku = exts.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value == key_usage(digital_signature=True, key_encipherment=True)
    eku = exts.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    bc = exts.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    assert exts.get_extension_for_class(x509.SubjectKeyIdentifier)


def test_client_cert_without_org_has_cn_only(ca: KeyPair) -> None:
    client = cert(authority.issue_client_cert(ca, "moorage", None).cert_pem)
    assert client.subject.rfc4514_string() == "CN=moorage"


def test_server_cert_names_and_purposes(ca: KeyPair) -> None:
    pair = authority.issue_server_cert(ca, "manager-0", ["10.0.0.5", "::1"], ["manager-0.local"])
    server = cert(pair.cert_pem)
    server.verify_directly_issued_by(cert(ca.cert_pem))
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["manager-0.local"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("10.0.0.5"),
        ipaddress.ip_address("::1"),
    ]
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    bc = server.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca


def test_server_cert_without_names_has_no_san(ca: KeyPair) -> None:
    server = cert(authority.issue_server_cert(ca, "manager-0", [], []).cert_pem)
    with pytest.raises(x509.ExtensionNotFound):
        server.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_rotated_ca_does_not_verify_old_certs(ca: KeyPair) -> None:
    old = authority.issue_client_cert(ca, "admin", "system:masters")
    rotated = authority.generate_ca("k8s-cluster")  # same name, new key
    assert not authority.is_signed_by(old.cert_pem, rotated.cert_pem)
    with pytest.raises(InvalidSignature):
        cert(old.cert_pem).verify_directly_issued_by(cert(rotated.cert_pem))
    assert authority.is_signed_by(old.cert_pem, ca.cert_pem)


def test_is_signed_by_false_for_other_issuer_name(ca: KeyPair) -> None:
    other = authority.generate_ca("other-cluster")
    client = authority.issue_client_cert(other, "admin")
    assert not authority.is_signed_by(client.cert_pem, ca.cert_pem)


def test_fingerprint_is_sha256_of_der(ca: KeyPair) -> None:
    der = cert(ca.cert_pem).public_bytes(serialization.Encoding.DER)
    assert authority.fingerprint(ca.cert_pem) == hashlib.sha256(der).hexdigest()
    client = authority.issue_client_cert(ca, "admin")
    assert authority.fingerprint(client.cert_pem) != authority.fingerprint(ca.cert_pem)


# --- signing a CSR ------------------------------------------------------------------


def test_sign_magnumclient_csr(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    pem = authority.sign_csr(ca, make_csr(user_key), "k8s-cluster")
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert pem.endswith("-----END CERTIFICATE-----")  # no trailing newline, like Magnum
    issued = cert(pem)
    issued.verify_directly_issued_by(cert(ca.cert_pem))
    assert issued.subject.rfc4514_string() == "O=system:masters,CN=admin"
    assert issued.issuer.rfc4514_string() == "CN=k8s-cluster"
    assert issued.public_key() == user_key.public_key()
    assert isinstance(issued.signature_hash_algorithm, hashes.SHA256)
    ski = issued.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(user_key.public_key())
    assert [ext.oid for ext in issued.extensions] == [ExtensionOID.SUBJECT_KEY_IDENTIFIER]


def test_invalid_csr_message(ca: KeyPair) -> None:
    assert_refused(ca, "not a csr", "Received invalid csr 'not a csr'.")


def test_csr_with_broken_signature_is_invalid(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    good = x509.load_pem_x509_csr(make_csr(user_key).encode())
    der = bytearray(good.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0xFF  # last byte of the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    bad = tampered.decode()
    assert_refused(ca, bad, f"Received invalid csr {bad!r}.")


def test_allowed_extensions_are_copied(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    san = x509.SubjectAlternativeName([x509.DNSName("admin.example")])
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    issued = signed(ca, make_csr(user_key, (san, False), (eku, True)))
    assert issued.extensions.get_extension_for_class(x509.SubjectAlternativeName).value == san
    copied = issued.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert copied.value == eku and copied.critical


def test_disallowed_critical_extension_refused(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    csr = make_csr(user_key, (x509.OCSPNoCheck(), True))
    assert_refused(ca, csr, "Extension 'OCSPNoCheck' not allowed")


def test_unknown_critical_extension_refused_by_oid(
    ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    assert_refused(ca, make_csr(user_key, (unknown, True)), "Extension '1.2.3.4' not allowed")


def test_disallowed_noncritical_extension_dropped(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    issued = signed(ca, make_csr(user_key, (x509.OCSPNoCheck(), False)))
    assert ExtensionOID.OCSP_NO_CHECK not in {ext.oid for ext in issued.extensions}


def test_allowed_extensions_follow_config(
    override: Override, ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    override("allowed_extensions", ["keyUsage"], group="x509")
    san = x509.SubjectAlternativeName([x509.DNSName("admin.example")])
    issued = signed(ca, make_csr(user_key, (san, False)))
    assert ExtensionOID.SUBJECT_ALTERNATIVE_NAME not in {ext.oid for ext in issued.extensions}
    assert_refused(ca, make_csr(user_key, (san, True)), "Extension 'subjectAltName' not allowed")


def test_key_usage_reduced_to_allowed(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    asked = key_usage(
        digital_signature=True,
        key_encipherment=True,
        data_encipherment=True,
        key_cert_sign=True,
        crl_sign=True,
    )
    issued = signed(ca, make_csr(user_key, (asked, False)))
    ku = issued.extensions.get_extension_for_class(x509.KeyUsage)
    assert not ku.critical
    assert ku.value == key_usage(digital_signature=True, key_encipherment=True)


def test_critical_key_usage_with_forbidden_bit_refused(
    ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    asked = key_usage(digital_signature=True, key_cert_sign=True)
    assert_refused(ca, make_csr(user_key, (asked, True)), "Extension 'keyUsage' not allowed")


def test_critical_key_usage_within_allowed_kept(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    asked = key_usage(digital_signature=True, content_commitment=True)
    ku = signed(ca, make_csr(user_key, (asked, True))).extensions.get_extension_for_class(
        x509.KeyUsage
    )
    assert ku.critical and ku.value == asked


def test_cert_sign_removed_even_if_listed_unless_allow_ca(
    override: Override, ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    allowed = ["Digital Signature", "Certificate Sign", "CRL Sign"]
    override("allowed_key_usage", allowed, group="x509")
    asked = key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True)
    csr = make_csr(user_key, (asked, False))
    ku = signed(ca, csr).extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.value == key_usage(digital_signature=True)
    override("allow_ca", True, group="x509")
    ku = signed(ca, csr).extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.value == asked


def test_encipher_only_dropped_with_key_agreement(
    override: Override, ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    override("allowed_key_usage", ["Digital Signature", "Encipher Only"], group="x509")
    asked = key_usage(digital_signature=True, key_agreement=True, encipher_only=True)
    ku = signed(ca, make_csr(user_key, (asked, False))).extensions.get_extension_for_class(
        x509.KeyUsage
    )
    assert ku.value == key_usage(digital_signature=True)


def test_ca_basic_constraints_rewritten(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    asked = x509.BasicConstraints(ca=True, path_length=None)
    bc = signed(ca, make_csr(user_key, (asked, False))).extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert not bc.value.ca and not bc.critical


def test_critical_ca_basic_constraints_refused(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    asked = x509.BasicConstraints(ca=True, path_length=None)
    csr = make_csr(user_key, (asked, True))
    assert_refused(ca, csr, "Extension 'basicConstraints' not allowed")


def test_critical_non_ca_basic_constraints_kept(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    asked = x509.BasicConstraints(ca=False, path_length=None)
    bc = signed(ca, make_csr(user_key, (asked, True))).extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert bc.critical and not bc.value.ca


def test_allow_ca_keeps_ca_basic_constraints(
    override: Override, ca: KeyPair, user_key: rsa.RSAPrivateKey
) -> None:
    override("allow_ca", True, group="x509")
    asked = x509.BasicConstraints(ca=True, path_length=None)
    bc = signed(ca, make_csr(user_key, (asked, True))).extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert bc.critical and bc.value.ca


def test_csr_subject_key_identifier_replaced(ca: KeyPair, user_key: rsa.RSAPrivateKey) -> None:
    bogus = x509.SubjectKeyIdentifier(b"\x01" * 20)
    issued = signed(ca, make_csr(user_key, (bogus, False)))
    skis = [ext for ext in issued.extensions if ext.oid == ExtensionOID.SUBJECT_KEY_IDENTIFIER]
    assert len(skis) == 1
    assert skis[0].value == x509.SubjectKeyIdentifier.from_public_key(user_key.public_key())


# --- private keys at rest -----------------------------------------------------------


def test_encrypt_round_trip(ca: KeyPair, tmp_path: Path) -> None:
    token = keys.encrypt(ca.key_pem)
    assert "PRIVATE KEY" not in token
    assert keys.decrypt(token) == ca.key_pem
    assert (tmp_path / keys.DEFAULT_KEY_FILE).exists()


def test_generated_key_file_is_private(tmp_path: Path) -> None:
    keys.encrypt("x")
    path = tmp_path / keys.DEFAULT_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(path.read_bytes())  # a valid Fernet key
    first = path.read_bytes()
    keys.encrypt("y")
    assert path.read_bytes() == first  # generated once, then reused


def test_wrong_key_is_a_clear_typed_error(tmp_path: Path) -> None:
    token = keys.encrypt("secret")
    (tmp_path / keys.DEFAULT_KEY_FILE).write_bytes(Fernet.generate_key())
    with pytest.raises(keys.WrongEncryptionKey) as caught:
        keys.decrypt(token)
    assert isinstance(caught.value, exceptions.MoorageError)
    assert str(tmp_path / keys.DEFAULT_KEY_FILE) in str(caught.value)
    assert "secret" not in str(caught.value)


def test_configured_key_file_is_used(override: Override, tmp_path: Path) -> None:
    key_file = tmp_path / "operator.key"
    key = Fernet.generate_key()
    key_file.write_bytes(key + b"\n")
    override("encryption_key_file", str(key_file), group="certificates")
    token = keys.encrypt("pem")
    assert Fernet(key).decrypt(token.encode()) == b"pem"
    assert not (tmp_path / keys.DEFAULT_KEY_FILE).exists()


def test_missing_configured_key_file_is_not_generated(override: Override, tmp_path: Path) -> None:
    key_file = tmp_path / "missing.key"
    override("encryption_key_file", str(key_file), group="certificates")
    with pytest.raises(keys.EncryptionKeyError, match=r"missing\.key"):
        keys.encrypt("pem")
    assert not key_file.exists()


def test_malformed_key_file(override: Override, tmp_path: Path) -> None:
    key_file = tmp_path / "bad.key"
    key_file.write_text("not a fernet key")
    override("encryption_key_file", str(key_file), group="certificates")
    with pytest.raises(keys.EncryptionKeyError, match="valid Fernet key"):
        keys.encrypt("pem")


def test_racing_creators_agree_on_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / keys.DEFAULT_KEY_FILE)
    barrier = threading.Barrier(8)
    seen: list[bytes] = []

    def create() -> None:
        barrier.wait()
        secretfile.create_once(path, Fernet.generate_key())
        seen.append(Path(path).read_bytes())

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert os.listdir(tmp_path) == [keys.DEFAULT_KEY_FILE]  # no temporary files left
