"""At-rest encryption of CA and client private keys.

Magnum encrypts each private key with its own passphrase and stores that
passphrase right next to the key, which protects nothing against someone who
reads the store. Moorage instead encrypts every private key with one Fernet
key that lives outside the database (``[certificates] encryption_key_file``),
so a leaked database dump alone does not leak any cluster's CA.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken

from moorage import config, exceptions, secretfile

DEFAULT_KEY_FILE = "ca-encryption.key"


class EncryptionKeyError(exceptions.MoorageError):
    """The Fernet key file is missing or malformed; nothing can be encrypted or decrypted."""


class WrongEncryptionKey(EncryptionKeyError):
    """A stored private key does not decrypt with the configured Fernet key."""


def key_file_path() -> str:
    """Where the Fernet key lives; the default sits under state_path next to the database."""
    configured: str | None = config.CONF.certificates.encryption_key_file
    if configured:
        return os.path.expanduser(configured)
    return config.state_path(DEFAULT_KEY_FILE)


def encrypt(pem: str) -> str:
    """Encrypt a PEM private key for storage; the token is ASCII, safe for any text column."""
    return _fernet().encrypt(pem.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made by :func:`encrypt`, failing loudly when the key is not the one used.

    A wrong key is the typical mistake after moving a deployment without its key file, so
    the error names the file rather than leaving a bare ``InvalidToken``.
    """
    path = key_file_path()
    try:
        return _fernet(path).decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise WrongEncryptionKey(
            f"Cannot decrypt a stored private key with the key in {path}: the key file is not "
            "the one the key was encrypted with, or the stored data is corrupted."
        ) from exc


def _fernet(path: str | None = None) -> Fernet:
    """Build the cipher from the key file, read on every call so a replaced file is seen."""
    path = path or key_file_path()
    key = _read_key(path) if _operator_supplied() else _read_or_create_key(path)
    try:
        return Fernet(key)
    except ValueError as exc:
        raise EncryptionKeyError(
            f"The encryption key file {path} does not hold a valid Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def _operator_supplied() -> bool:
    """An operator's key file is never generated: a new key would orphan every stored key."""
    return bool(config.CONF.certificates.encryption_key_file)


def _read_key(path: str) -> bytes:
    """Read the key, turning a missing or unreadable file into a typed error."""
    try:
        with open(path, "rb") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise EncryptionKeyError(
            f"Cannot read the encryption key file {path}: {exc.strerror}"
        ) from exc


def _read_or_create_key(path: str) -> bytes:
    """Read the default key file, generating it first if this is the first use."""
    if not os.path.exists(path):
        secretfile.create_once(path, Fernet.generate_key())
    return _read_key(path)
