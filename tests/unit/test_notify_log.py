"""Notifications in the log (the default publisher): one short line each at INFO."""

from __future__ import annotations

import json
import logging

import pytest

from moorage.context import RequestContext
from moorage.notify import events, publisher

CLUSTER = {
    "uuid": "5d12f6fd-a196-4bf0-ae4c-1f639a523a52",
    "name": "demo",
    "status": "CREATE_COMPLETE",
    "labels": {f"label{i}": "x" * 40 for i in range(30)},
}


def test_a_notification_is_one_short_line_and_the_document_is_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="moorage.notifications")
    ctx = RequestContext(user_id="alice", project_id="p")
    document = events.payload(ctx, "create", "success", CLUSTER)
    publisher.LogPublisher().publish(ctx, "INFO", "magnum.cluster.create", document)
    (info,) = [r for r in caplog.records if r.levelno == logging.INFO]
    line = info.getMessage()
    assert line == (
        "INFO magnum.cluster.create outcome=success "
        "cluster=5d12f6fd-a196-4bf0-ae4c-1f639a523a52 (demo) status=CREATE_COMPLETE"
    )
    (debug,) = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert json.loads(debug.getMessage().split(" ", 2)[2]) == json.loads(
        json.dumps(document, default=str)
    )
