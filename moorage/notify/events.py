"""Cluster notifications: CADF events named like Magnum's (``magnum.cluster.<action>``).

The payload is built here; where it goes is the notifier's business. The
default sends it to the log; the AMQP notifier arrives with distributed mode.
"""

from __future__ import annotations

import json
import logging
import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any

from moorage.config import CONF
from moorage.context import RequestContext

LOG = logging.getLogger("moorage.notifications")

PRIORITY = {"pending": "INFO", "success": "INFO", "failure": "ERROR"}


def payload(
    ctx: RequestContext, action: str, outcome: str, cluster: dict[str, Any]
) -> dict[str, Any]:
    return {
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "eventType": "activity",
        "id": str(uuidlib.uuid4()),
        "eventTime": datetime.now(UTC).isoformat(),
        "action": action,
        "outcome": outcome,
        "initiator": {
            "typeURI": "service/security/account/user",
            "id": ctx.user_id or "moorage",
            "user_id": ctx.user_id,
            "project_id": ctx.project_id,
        },
        "observer": {"typeURI": "service/magnum/cluster", "id": CONF.host},
        "target": {
            "typeURI": "service/magnum/cluster",
            "id": cluster.get("uuid"),
            "name": cluster.get("name"),
            "attachments": [
                {"name": "cluster_data", "typeURI": "service/magnum/cluster", "content": cluster}
            ],
        },
    }


def emit(ctx: RequestContext, action: str, outcome: str, cluster: dict[str, Any]) -> None:
    event_type = f"magnum.cluster.{action}"
    body = payload(ctx, action, outcome, cluster)
    LOG.info(
        "%s %s publisher=container-infra.%s %s",
        PRIORITY[outcome],
        event_type,
        CONF.host,
        json.dumps(body, default=str),
    )
