"""The per-project cluster quota holds under concurrent creates, on every backend.

Each create runs the API's own path (``clusters.create_row`` in a ``transaction``)
in a thread of its own, so each has its own connection and transaction; a barrier
starts them together. ``window`` widens the gap between the quota count and the
insert (the test wraps the count, nothing in the code under test changes), which
makes the race certain without the per-project lock: every thread then counts
before any inserts.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.api import microversion, policy
from moorage.api.views import clusters
from moorage.context import RequestContext
from moorage.db import models, quotas
from moorage.db.session import transaction
from moorage.objects.fields import parse_body, with_defaults
from moorage.rpc import api as rpc_api
from moorage.services import clusters as services

LIMIT = 3
THREADS = 12


class _Casts:
    """The conductor's end of the bus: records the casts, runs nothing."""

    def __init__(self) -> None:
        self.casts: list[tuple[str, dict[str, Any]]] = []

    def cast(self, ctx: RequestContext, method: str, **kwargs: Any) -> None:
        self.casts.append((method, kwargs))

    def call(self, ctx: RequestContext, method: str, **kwargs: Any) -> Any:
        raise AssertionError(f"unexpected call {method}")


@pytest.fixture(autouse=True)
def _api_side() -> Iterator[None]:
    policy.reset()
    rpc_api.set_transport(_Casts())
    yield
    rpc_api.set_transport(None)
    policy.reset()


def _setup(project: str, limit: int | None) -> str:
    """A template ``project`` may use, and its quota row (when ``limit`` is given)."""
    template_uuid = str(uuid.uuid4())
    with transaction() as s:
        s.add(
            models.ClusterTemplate(
                uuid=template_uuid,
                project_id=project,
                name=f"t-{project}",
                coe="swarm-mode",
                server_type="vm",
                cluster_distro="debian",
                image_id="moorage-node",
                flavor_id="m1.small",
                master_flavor_id="m1.small",
                external_network_id="public",
            )
        )
        if limit is not None:
            s.add(models.Quota(project_id=project, resource=quotas.CLUSTER, hard_limit=limit))
    return template_uuid


def _create(project: str, template_uuid: str) -> str:
    """One cluster create as ``POST /v1/clusters`` does it; its uuid, or "quota"."""
    ctx = RequestContext(user_id=f"user-{project}", project_id=project, roles=("member",))
    body = {"cluster_template_id": template_uuid, "master_count": 1, "node_count": 1}
    values = with_defaults(parse_body("cluster", body, clusters.SCHEMA), clusters.SCHEMA)
    try:
        with transaction() as s:
            row = clusters.create_row(s, ctx, microversion.Version(1, 10), values)
    except exceptions.QuotaExceeded:
        return "quota"
    return row.uuid


def _clusters_of(project: str) -> int:
    with transaction() as s:
        stmt = select(func.count()).where(models.Cluster.project_id == project)
        return int(s.scalar(stmt) or 0)


@pytest.fixture
def widen_window(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Sleep between the quota count and the insert of every create."""

    def widen(seconds: float) -> None:
        original = services._check_quota

        def slow(session: Session, ctx: RequestContext) -> None:
            original(session, ctx)
            time.sleep(seconds)

        monkeypatch.setattr(services, "_check_quota", slow)

    return widen


@pytest.mark.parametrize("window", [0.0, 0.1], ids=["plain", "widened"])
def test_concurrent_creates_stop_at_the_limit(
    db: Engine, window: float, widen_window: Callable[[float], None]
) -> None:
    template_uuid = _setup("crowded", LIMIT)
    # Another project's clusters count for nothing here.
    other = _setup("other", None)
    assert _create("other", other) != "quota"
    if window:
        widen_window(window)
    start = threading.Barrier(THREADS)

    def one(_: int) -> str:
        start.wait(timeout=30)
        return _create("crowded", template_uuid)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, range(THREADS)))

    created = [r for r in results if r != "quota"]
    assert (len(created), results.count("quota")) == (LIMIT, THREADS - LIMIT)
    assert _clusters_of("crowded") == LIMIT
    assert _clusters_of("other") == 1


# Not on SQLite: it has one writer at a time for the whole database.
@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_the_lock_holds_one_project_only(db: Engine) -> None:
    """While a create of project A holds A's lock, B creates; a second A waits."""
    a, b = _setup("proj-a", LIMIT), _setup("proj-b", LIMIT)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction() as s:
            quotas.lock_project(s, "proj-a")
            holding.set()
            release.wait(timeout=30)

    results: dict[str, Any] = {}

    def run(name: str, project: str, template: str) -> None:
        results[name] = _create(project, template)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        other = threading.Thread(target=run, args=("b", "proj-b", b))
        same = threading.Thread(target=run, args=("a", "proj-a", a))
        other.start()
        same.start()
        other.join(timeout=10)
        assert not other.is_alive() and results["b"] != "quota"
        same.join(timeout=0.5)
        assert same.is_alive(), "a create of the locked project went ahead"
    finally:
        release.set()
        holder.join(timeout=30)
    same.join(timeout=30)
    assert results["a"] != "quota"
    assert (_clusters_of("proj-a"), _clusters_of("proj-b")) == (1, 1)
