"""``GET /v1/clusters/{ident}/events``: Moorage's record of the steps run on a cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api, assert_error, wait_for
from tests.api.test_clusters import make_template, post_cluster, running_cluster, wait_status
from tests.support.fake_driver import FakeDriver

CREATE = ["create network", "create nodes", "join nodes"]


def events(api: Api, uuid: str, query: str = "") -> Any:
    return api.get(f"/v1/clusters/{uuid}/events{query}")


def steps_of(body: dict[str, Any]) -> list[tuple[str, int, str | None]]:
    return [(e["step"], e["index"], e["outcome"]) for e in body["events"]]


def test_the_create_steps_newest_first(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    response = events(alice, uuid)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "next" not in body
    assert steps_of(body) == [
        ("join nodes", 3, "success"),
        ("create nodes", 2, "success"),
        ("create network", 1, "success"),
    ]
    for event in body["events"]:
        assert event["cluster_uuid"] == uuid
        assert event["operation"] == "cluster_create"
        assert event["total"] == 3
        assert event["started_at"] <= event["finished_at"]
        assert event["finished_at"].endswith("+00:00")
    assert len({e["request_id"] for e in body["events"]}) == 1


def test_events_are_paged_like_the_other_lists(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    first = events(alice, uuid, "?limit=2").json()
    assert [e["step"] for e in first["events"]] == ["join nodes", "create nodes"]
    assert first["next"].endswith(
        f"/v1/clusters/{uuid}/events?sort_key=id&sort_dir=desc&limit=2"
        f"&marker={first['events'][1]['id']}"
    )
    rest = alice.get(first["next"].split("http://testserver", 1)[1]).json()
    assert [e["step"] for e in rest["events"]] == ["create network"]
    assert "next" not in rest
    oldest = events(alice, uuid, "?sort_dir=asc").json()
    assert [e["step"] for e in oldest["events"]] == CREATE


def test_a_failed_step_is_in_the_history(alice: Api) -> None:
    FakeDriver.fail_at = {"create nodes": "boom"}
    uuid = post_cluster(alice, make_template(alice)["uuid"])
    wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_FAILED")
    latest = events(alice, uuid).json()["events"][0]
    assert (latest["step"], latest["outcome"], latest["message"]) == (
        "create nodes",
        "failure",
        "create nodes: boom",
    )


@pytest.fixture
def slow_driver() -> Iterator[None]:
    FakeDriver.delay = 0.4
    yield
    FakeDriver.delay = 0.05


@pytest.mark.usefixtures("slow_driver")
def test_status_reason_names_the_step_while_it_runs(alice: Api) -> None:
    uuid = post_cluster(alice, make_template(alice)["uuid"])
    shown = wait_for(
        lambda: (
            (r := alice.get(f"/v1/clusters/{uuid}").json()["status_reason"])
            and "create nodes" in r
            and r
        )
    )
    assert shown == "step 2/3: create nodes"
    running = events(alice, uuid).json()["events"][0]
    assert (running["step"], running["outcome"], running["finished_at"]) == (
        "create nodes",
        None,
        None,
    )
    wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_COMPLETE")


def test_project_scoped_like_the_cluster(alice: Api, bob: Api, as_user: Any, admin: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    assert_error(events(bob, uuid), 404, f"Cluster {uuid} could not be found.")
    assert steps_of(events(as_user("ann"), uuid).json())[0][0] == "join nodes"  # a reader
    assert events(admin, uuid).status_code == 200


def test_outside_the_microversions(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    assert events(alice.at("1.1"), uuid).status_code == 200
    assert events(alice.at(""), uuid).status_code == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [("?limit=0", 400), ("?sort_key=nope", 400), ("?marker=999999", 404), ("?marker=x", 400)],
)
def test_bad_paging_is_a_4xx(alice: Api, query: str, status: int) -> None:
    uuid = running_cluster(alice)["uuid"]
    assert events(alice, uuid, query).status_code == status


def test_a_marker_of_another_cluster_is_a_404(alice: Api) -> None:
    first, second = running_cluster(alice)["uuid"], running_cluster(alice)["uuid"]
    theirs = events(alice, first).json()["events"][0]["id"]
    assert_error(
        events(alice, second, f"?marker={theirs}"), 404, f"Event {theirs} could not be found."
    )


def test_an_unknown_cluster_is_a_404(alice: Api) -> None:
    assert_error(events(alice, "nope"), 404, "Cluster nope could not be found.")
