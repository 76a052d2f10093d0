"""Cluster notifications: CADF events named like Magnum's (``magnum.cluster.<action>``).

The payload is built here; where it goes is the publisher's business
(``moorage.notify.publisher``): the log by default, oslo.messaging's Notifier
when ``[oslo_messaging_notifications] driver`` is set.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any

from moorage.config import CONF
from moorage.context import RequestContext
from moorage.notify import publisher

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
    publisher.current().publish(
        ctx, PRIORITY[outcome], f"magnum.cluster.{action}", payload(ctx, action, outcome, cluster)
    )
