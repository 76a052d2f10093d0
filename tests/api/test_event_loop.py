"""No request's database work runs on the event loop: one request waiting for a lock
must not stop the server from answering others."""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from moorage.api.routes import REGISTERED, root
from moorage.db import quotas
from moorage.db.session import transaction
from tests.api.conftest import Api
from tests.api.test_clusters import make_template

# Long enough that a blocked event loop shows; the lock is given up after it either way.
HOLD = 3.0


def test_a_create_waiting_for_the_quota_lock_leaves_other_requests_answered(
    alice: Api, client: TestClient
) -> None:
    template = make_template(alice)
    answers: dict[str, Any] = {}
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with transaction() as session:
            quotas.lock_project(session, "project-a")
            locked.set()
            release.wait(HOLD)

    def create() -> None:
        body = {"cluster_template_id": template["uuid"], "name": "waits"}
        answers["create"] = alice.post("/v1/clusters", body)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(5)
    creator = threading.Thread(target=create)
    creator.start()
    time.sleep(0.3)  # the create is in the server now, waiting for the lock
    started = time.monotonic()
    health = client.get("/healthcheck")
    elapsed = time.monotonic() - started
    waiting = creator.is_alive()
    release.set()
    holder.join()
    creator.join(30)
    assert health.status_code == 200
    assert waiting  # the create was still waiting when the health check was answered
    assert elapsed < HOLD / 2
    assert answers["create"].status_code == 202


def test_no_route_is_a_coroutine() -> None:
    """A coroutine route runs on the event loop; its database work would block every request."""
    routes = [r for router in (root.router, *REGISTERED) for r in router.routes]
    assert routes
    assert [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)] == []
