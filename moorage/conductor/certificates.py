"""The cluster's certificates in the DB: CA and Moorage's own client certificate.

Private keys are stored encrypted (``moorage.certs.keys``) and decrypted only
for the duration of an operation.
"""

from __future__ import annotations

import uuid as uuidlib

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.certs import authority, keys
from moorage.db import models


def _store(session: Session, pair: authority.KeyPair, cluster: models.Cluster) -> str:
    ref = str(uuidlib.uuid4())
    session.add(
        models.X509KeyPair(
            uuid=ref,
            certificate=pair.cert_pem,
            private_key=keys.encrypt(pair.key_pem),
            project_id=cluster.project_id,
            user_id=cluster.user_id,
        )
    )
    return ref


def _load(session: Session, ref: str | None) -> authority.KeyPair:
    row = (
        session.scalar(select(models.X509KeyPair).where(models.X509KeyPair.uuid == ref))
        if ref
        else None
    )
    if row is None:
        raise exceptions.NotFound(f"Certificate {ref} could not be found.")
    return authority.KeyPair(cert_pem=row.certificate, key_pem=keys.decrypt(row.private_key))


def issuer_name(cluster: models.Cluster) -> str:
    return cluster.name or cluster.uuid


def generate(session: Session, cluster: models.Cluster) -> None:
    """New CA and client certificate; the old ones are deleted (rotation)."""
    old = [cluster.ca_cert_ref, cluster.magnum_cert_ref]
    ca = authority.generate_ca(issuer_name(cluster))
    client = authority.issue_client_cert(ca, "admin", "system:masters")
    cluster.ca_cert_ref = _store(session, ca, cluster)
    cluster.magnum_cert_ref = _store(session, client, cluster)
    remove(session, [ref for ref in old if ref])


def _missing(cluster: models.Cluster) -> exceptions.NotFound:
    return exceptions.NotFound(f"Certificate for cluster {cluster.uuid} could not be found.")


def ca(session: Session, cluster: models.Cluster) -> authority.KeyPair:
    if not cluster.ca_cert_ref:  # not generated yet (create not started)
        raise _missing(cluster)
    return _load(session, cluster.ca_cert_ref)


def ca_pem(session: Session, cluster: models.Cluster) -> str:
    ref = cluster.ca_cert_ref
    row = (
        session.scalar(select(models.X509KeyPair).where(models.X509KeyPair.uuid == ref))
        if ref
        else None
    )
    if row is None:
        raise _missing(cluster)
    return row.certificate.rstrip("\n")


def remove(session: Session, refs: list[str]) -> None:
    if refs:
        session.execute(delete(models.X509KeyPair).where(models.X509KeyPair.uuid.in_(refs)))
