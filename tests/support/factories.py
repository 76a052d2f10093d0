"""Rows for tests that need a cluster in a given state without running the conductor.

``make_cluster`` writes what the cluster create route and the conductor would
have written by the end of an operation: the cluster, its two default node
groups and a real CA made by the conductor's own ``certificates.generate``
(generated whatever ``tls_disabled`` says, as the conductor does).
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from sqlalchemy.orm import Session

from moorage.conductor import certificates
from moorage.db import models
from moorage.db.session import transaction
from moorage.objects.status import Status
from tests.support import fake_driver


def make_template(
    session: Session, project_id: str, user_id: str, *, tls_disabled: bool = False, **values: Any
) -> models.ClusterTemplate:
    """A template the fake test driver serves."""
    row = models.ClusterTemplate(
        uuid=str(uuidlib.uuid4()),
        project_id=project_id,
        user_id=user_id,
        name=values.pop("name", "tpl"),
        coe="swarm-mode",
        image_id=fake_driver.IMAGE,
        cluster_distro="fakeos",
        server_type="vm",
        network_driver="docker",
        driver=fake_driver.NAME,
        tls_disabled=tls_disabled,
        **values,
    )
    session.add(row)
    session.flush()
    return row


def make_cluster(
    session: Session,
    project_id: str,
    user_id: str,
    template_uuid: str | None = None,
    status: Status | str = Status.CREATE_COMPLETE,
    *,
    name: str | None = "c1",
    master_count: int = 1,
    node_count: int = 1,
    tls_disabled: bool = False,
    with_ca: bool = True,
) -> models.Cluster:
    """A cluster with default-master and default-worker node groups in ``status``.

    Without ``template_uuid`` a template owned by the same project is made too.
    """
    if template_uuid is None:
        template_uuid = make_template(session, project_id, user_id, tls_disabled=tls_disabled).uuid
    cluster = models.Cluster(
        uuid=str(uuidlib.uuid4()),
        project_id=project_id,
        user_id=user_id,
        name=name,
        cluster_template_id=template_uuid,
        status=str(status),
        create_timeout=60,
        labels={},
        health_status_reason={},
    )
    session.add(cluster)
    session.flush()
    for group_name, role, count in (
        ("default-master", "master", master_count),
        ("default-worker", "worker", node_count),
    ):
        session.add(
            models.NodeGroup(
                uuid=str(uuidlib.uuid4()),
                name=group_name,
                cluster_id=cluster.uuid,
                project_id=project_id,
                role=role,
                node_count=count,
                is_default=True,
                image_id=fake_driver.IMAGE,
                status=str(status),
            )
        )
    if with_ca:
        certificates.generate(session, cluster)
    session.flush()
    return cluster


def cluster(project_id: str, user_id: str, **kwargs: Any) -> models.Cluster:
    """``make_cluster`` in a transaction of its own (detached row, attributes loaded)."""
    with transaction() as session:
        return make_cluster(session, project_id, user_id, **kwargs)
