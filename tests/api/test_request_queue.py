"""Requests sent to one cluster at once: each runs to an end state in order, or gets 409.

The in-process app with the conductor behind the local bus; requests come from
threads, as from several clients at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from moorage.conductor import periodic
from moorage.conductor.manager import ConductorManager
from moorage.objects.status import IN_PROGRESS
from tests.api.conftest import Api, wait_for
from tests.api.test_clusters import (
    age_requests,
    cluster_row,
    nodegroup_rows,
    record_casts,
    requests_of,
    running_cluster,
    unfinished_requests,
    wait_status,
)
from tests.support.fake_driver import FakeDriver


@pytest.fixture(autouse=True)
def _slow_driver() -> Iterator[None]:
    """Steps long enough that every request arrives while another one runs."""
    FakeDriver.delay = 0.3
    yield
    FakeDriver.delay = 0.05


def at_once(*requests: Callable[[], Any]) -> list[Any]:
    with ThreadPoolExecutor(len(requests)) as pool:
        return [f.result() for f in [pool.submit(r) for r in requests]]


def settled(uuid: str) -> bool:
    """Nothing left to run on the cluster, and nothing in progress."""
    rows = [cluster_row(uuid), *nodegroup_rows(uuid)]
    return not unfinished_requests(uuid) and all(r.status not in IN_PROGRESS for r in rows)


def groups(cluster: str) -> str:
    return f"/v1/clusters/{cluster}/nodegroups"


def test_parallel_nodegroup_creates_all_complete(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    names = ("ng-a", "ng-b", "ng-c")
    responses = at_once(*(lambda n=n: alice.post(groups(uuid), {"name": n}) for n in names))
    assert [r.status_code for r in responses] == [202, 202, 202]
    wait_for(lambda: settled(uuid), timeout=20)
    by_name = {g.name: g for g in nodegroup_rows(uuid)}
    for name in names:
        assert by_name[name].status == "CREATE_COMPLETE", name
        assert by_name[name].node_addresses
    assert cluster_row(uuid).status == "UPDATE_COMPLETE"
    created = [c for c in FakeDriver.calls if c[1] == uuid and c[0].startswith("resize ng-")]
    assert sorted(name for name, _ in created) == [f"resize {n}" for n in names]


def test_resize_nodegroup_create_and_ca_rotate_at_once(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=1)["uuid"]
    ca_before = cluster_row(uuid).ca_cert_ref
    resize, create, rotate = at_once(
        lambda: alice.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 3}),
        lambda: alice.post(groups(uuid), {"name": "ng-x"}),
        lambda: alice.patch(f"/v1/certificates/{uuid}"),
    )
    assert resize.status_code in (202, 409), resize.text
    assert create.status_code in (202, 409), create.text
    assert rotate.status_code in (202, 409), rotate.text
    wait_for(lambda: settled(uuid), timeout=20)
    worker = next(g for g in nodegroup_rows(uuid) if g.name == "default-worker")
    extra = [g for g in nodegroup_rows(uuid) if g.name == "ng-x"]
    if resize.status_code == 202:
        assert (worker.node_count, worker.status) == (3, "UPDATE_COMPLETE")
    else:
        assert worker.node_count == 1
    if create.status_code == 202:
        assert [g.status for g in extra] == ["CREATE_COMPLETE"]
    else:
        assert extra == []
    rotated = cluster_row(uuid).ca_cert_ref != ca_before
    assert rotated == (rotate.status_code == 202)
    assert rotated == (("rotate ca", uuid) in FakeDriver.calls)
    assert cluster_row(uuid).status == "UPDATE_COMPLETE"


def test_a_call_behind_queued_requests_is_409_and_changes_nothing(alice: Api) -> None:
    uuid = running_cluster(alice)["uuid"]
    assert alice.post(groups(uuid), {"name": "ng-a"}).status_code == 202
    ca_before = cluster_row(uuid).ca_cert_ref
    response = alice.patch(f"/v1/certificates/{uuid}")
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["detail"].startswith(f"Cluster {uuid} ")
    wait_for(lambda: settled(uuid), timeout=20)
    assert cluster_row(uuid).ca_cert_ref == ca_before
    assert ("rotate ca", uuid) not in FakeDriver.calls
    assert alice.patch(f"/v1/certificates/{uuid}").status_code == 202  # idle again: accepted
    wait_for(lambda: settled(uuid) and cluster_row(uuid).ca_cert_ref != ca_before)


def test_a_restarted_conductor_resumes_the_queue(alice: Api, manager: ConductorManager) -> None:
    uuid = running_cluster(alice)["uuid"]
    record_casts()  # the conductor dies: nothing sent from now on reaches it
    for name in ("ng-a", "ng-b", "ng-c"):
        assert alice.post(groups(uuid), {"name": name}).status_code == 202
    assert alice.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 2}).status_code == 202
    assert len(unfinished_requests(uuid)) == 4
    age_requests(uuid)
    assert periodic.reconcile(manager) == 1  # another conductor's loop takes the queue over
    assert settled(uuid)
    statuses = {g.name: (g.status, g.node_count) for g in nodegroup_rows(uuid)}
    assert statuses == {
        "default-master": ("CREATE_COMPLETE", 1),
        "default-worker": ("UPDATE_COMPLETE", 2),
        "ng-a": ("CREATE_COMPLETE", 1),
        "ng-b": ("CREATE_COMPLETE", 1),
        "ng-c": ("CREATE_COMPLETE", 1),
    }
    order = [name for name, c in FakeDriver.calls if c == uuid and name.startswith("resize ")]
    assert order[-4:] == ["resize ng-a", "resize ng-b", "resize ng-c", "resize default-worker"]
    assert periodic.reconcile(manager) == 0


def test_an_update_queued_behind_a_nodegroup_create_runs_after_it(alice: Api) -> None:
    uuid = running_cluster(alice, node_count=1)["uuid"]
    assert alice.post(groups(uuid), {"name": "ng-a"}).status_code == 202
    ops = [{"op": "replace", "path": "/node_count", "value": 2}]
    assert alice.patch(f"/v1/clusters/{uuid}", ops).status_code == 202
    wait_for(lambda: settled(uuid), timeout=20)
    body = wait_status(alice, f"/v1/clusters/{uuid}", "UPDATE_COMPLETE")
    assert body["node_count"] == 3  # default-worker 2 + ng-a 1
    rows = [r for r in requests_of(uuid) if r.operation in ("nodegroup_create", "cluster_update")]
    assert [(r.operation, r.state) for r in rows] == [
        ("nodegroup_create", "COMPLETE"),
        ("cluster_update", "COMPLETE"),
    ]
