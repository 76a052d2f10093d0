"""``GET /v1/mservices``: conductors and their heartbeats (admin only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from moorage.conductor import periodic
from moorage.config import CONF
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction
from tests.api.conftest import Api, assert_error


def set_row(host: str, **values: object) -> None:
    with transaction() as session:
        row = session.scalar(select(models.MagnumService).where(models.MagnumService.host == host))
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)


def test_empty(admin: Api) -> None:
    response = admin.get("/v1/mservices")
    assert response.status_code == 200, response.text
    assert response.json() == {"mservices": []}


def test_heartbeat_shows_up(admin: Api) -> None:
    periodic.heartbeat("host1")
    periodic.heartbeat("host1")
    (service,) = admin.get("/v1/mservices/").json()["mservices"]
    assert set(service) == {
        "id",
        "host",
        "binary",
        "state",
        "report_count",
        "disabled",
        "disabled_reason",
        "created_at",
        "updated_at",
    }
    assert service["id"] == 1
    assert service["host"] == "host1"
    assert service["binary"] == "magnum-conductor"
    assert service["state"] == "up"
    assert service["report_count"] == 2
    assert service["disabled"] is False
    assert service["disabled_reason"] is None
    assert service["created_at"].endswith("+00:00")
    assert service["updated_at"].endswith("+00:00")


def test_down_after_service_down_time(admin: Api) -> None:
    periodic.heartbeat("old")
    periodic.heartbeat("forced")
    periodic.heartbeat("fresh")
    stale = utcnow() - timedelta(seconds=CONF.service_down_time + 5)
    set_row("old", last_seen_up=stale)
    set_row("forced", forced_down=True)
    states = {s["host"]: s["state"] for s in admin.get("/v1/mservices").json()["mservices"]}
    assert states == {"old": "down", "forced": "down", "fresh": "up"}
    CONF.set_override("service_down_time", 3600)
    try:
        states = {s["host"]: s["state"] for s in admin.get("/v1/mservices").json()["mservices"]}
    finally:
        CONF.clear_override("service_down_time")
    assert states == {"old": "up", "forced": "down", "fresh": "up"}


def test_falls_back_to_updated_at(admin: Api) -> None:
    periodic.heartbeat("h")
    set_row("h", last_seen_up=None)
    (service,) = admin.get("/v1/mservices").json()["mservices"]
    assert service["state"] == "up"


@pytest.mark.parametrize("user", ["alice", "ann", "bob"])
def test_admin_only(as_user: Callable[[str], Api], user: str) -> None:
    assert_error(
        as_user(user).get("/v1/mservices"),
        403,
        "Policy doesn't allow magnum-service:get_all to be performed.",
    )


def test_no_paging(admin: Api) -> None:
    assert_error(admin.get("/v1/mservices?limit=1"), 400, 'Unknown argument: "limit"')
