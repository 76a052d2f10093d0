"""Cluster actions (api.md §8): resize from 1.7, upgrade from 1.8."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest

from moorage.db import models
from moorage.db.session import transaction
from moorage.drivers.base import Driver
from moorage.rpc import api as rpc_api
from moorage.rpc.local import LocalTransport
from tests.api.conftest import Api, assert_error, wait_for
from tests.api.test_clusters import (
    LEASE,
    ZERO,
    Recorder,
    cluster_row,
    drop_requests,
    last_request,
    make_template,
    nodegroup_rows,
    post_cluster,
    record_casts,
    running_cluster,
    set_columns,
    snapshot,
    unfinished_requests,
    wait_status,
)
from tests.support import fake_driver
from tests.support.fake_driver import FakeDriver


def resize_path(uuid: str) -> str:
    return f"/v1/clusters/{uuid}/actions/resize"


def upgrade_path(uuid: str) -> str:
    return f"/v1/clusters/{uuid}/actions/upgrade"


def recorded_cluster(api: Api, **body: Any) -> tuple[str, Recorder]:
    """A cluster row; casts and calls from now on are recorded and never run."""
    template = make_template(api)
    recorder = record_casts()
    return post_cluster(api, template["uuid"], **body), recorder


def add_nodegroup(cluster_uuid: str, name: str = "extra", **values: Any) -> str:
    uuid = str(uuidlib.uuid4())
    with transaction() as session:
        session.add(
            models.NodeGroup(
                uuid=uuid,
                name=name,
                cluster_id=cluster_uuid,
                project_id="project-a",
                role=values.pop("role", "worker"),
                node_count=values.pop("node_count", 1),
                is_default=False,
                status="CREATE_COMPLETE",
                **values,
            )
        )
    return uuid


# --- resize ---------------------------------------------------------------------------


def test_resize_runs_to_update_complete(alice: Api) -> None:
    cluster = running_cluster(alice)
    response = alice.post(resize_path(cluster["uuid"]), {"node_count": 3})
    assert response.status_code == 202
    assert response.json() == {"uuid": cluster["uuid"]}
    body = wait_status(alice, f"/v1/clusters/{cluster['uuid']}", "UPDATE_COMPLETE")
    assert body["node_count"] == 3
    assert len(body["node_addresses"]) == 3
    assert [g.status for g in nodegroup_rows(cluster["uuid"])] == [
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
    ]
    assert unfinished_requests(cluster["uuid"]) == []


def test_resize_records_and_casts_the_named_nodegroup(alice: Api) -> None:
    uuid, recorder = recorded_cluster(alice)
    extra = add_nodegroup(uuid)
    (extra_row,) = [g for g in nodegroup_rows(uuid) if g.uuid == extra]
    body = {"node_count": 2, "nodes_to_remove": ["n1"], "nodegroup": str(extra_row.id)}
    assert alice.post(resize_path(uuid), body).status_code == 202
    expected = {
        "cluster_uuid": uuid,
        "node_count": 2,
        "nodes_to_remove": ["n1"],
        "nodegroup_uuid": extra,
    }
    assert recorder.casts[-1] == ("cluster_resize", expected)
    del expected["cluster_uuid"]  # the request is recorded on the cluster
    assert last_request(uuid) == ("cluster_resize", expected, "PENDING")
    worker = nodegroup_rows(uuid)[1]
    assert alice.post(resize_path(uuid), {"node_count": 4}).status_code == 202
    assert recorder.casts[-1][1]["nodegroup_uuid"] == worker.uuid
    assert alice.post(resize_path(uuid), {"node_count": 4, "nodegroup": "extra"}).status_code == 202
    assert recorder.casts[-1][1]["nodes_to_remove"] == []


def test_resize_version_gates(alice: Api) -> None:
    uuid, _ = recorded_cluster(alice)
    response = alice.at("1.6").post(resize_path(uuid), {"node_count": 2})
    assert response.status_code == 406
    assert response.json()["errors"][0]["detail"] == ""
    assert "OpenStack-API-Version" not in response.headers
    assert_error(alice.at("1.9").post(resize_path(uuid), {"node_count": 0}), 400, ZERO)
    assert alice.at("1.10").post(resize_path(uuid), {"node_count": 0}).status_code == 202


def test_resize_bad_bodies_change_nothing(alice: Api) -> None:
    uuid, _ = recorded_cluster(alice)
    drop_requests(uuid)
    before = snapshot()
    cases = [
        (
            {},
            "Invalid input for field/attribute node_count. Value: 'None'. Mandatory field missing.",
        ),
        ({"node_count": 1, "foo": 1}, "Unknown attribute for argument cluster_resize_req: foo"),
        (
            {"node_count": -1},
            "Invalid input for field/attribute node_count. Value: '-1'. "
            "Value should be greater or equal to 0",
        ),
        (
            {"node_count": 1, "nodes_to_remove": "n1"},
            "Invalid input for field/attribute nodes_to_remove. Value: 'n1'. "
            "Wrong type. Expected '<class 'list'>', got '<class 'str'>'",
        ),
        (
            {"node_count": 1, "nodegroup": ""},
            "Invalid input for field/attribute nodegroup. Value: ''. "
            "Value should have a minimum character requirement of 1",
        ),
    ]
    for body, detail in cases:
        assert_error(alice.post(resize_path(uuid), body), 400, detail)
    assert_error(
        alice.post(resize_path(uuid), {"node_count": 1, "nodegroup": "nope"}),
        404,
        "Nodegroup nope could not be found.",
    )
    assert_error(
        alice.post(resize_path("nope"), {"node_count": 1}), 404, "Cluster nope could not be found."
    )
    assert snapshot() == before


def test_resize_range_and_master(alice: Api) -> None:
    uuid, _ = recorded_cluster(alice)
    master, worker = nodegroup_rows(uuid)
    set_columns(models.NodeGroup, worker.uuid, min_node_count=2, max_node_count=3)
    drop_requests(uuid)
    before = snapshot()
    for count in (1, 4):
        assert_error(
            alice.post(resize_path(uuid), {"node_count": count}),
            400,
            "Resizing default-worker outside the allowed range: min_node_count = 2, "
            "max_node_count = 3",
        )
    extra = add_nodegroup(uuid, min_node_count=1)
    assert_error(
        alice.post(resize_path(uuid), {"node_count": 0, "nodegroup": extra}),
        400,
        "Resizing extra outside the allowed range: min_node_count = 1, max_node_count = None",
    )
    assert_error(
        alice.post(resize_path(uuid), {"node_count": 3, "nodegroup": "default-master"}),
        400,
        "Resizing the master nodegroup is not supported by this driver.",
    )
    assert_error(
        alice.post(resize_path(uuid), {"node_count": 3, "nodegroup": master.uuid}),
        400,
        "Resizing the master nodegroup is not supported by this driver.",
    )
    after = [row for row in snapshot() if row.get("name") != "extra"]
    assert after == before
    assert alice.post(resize_path(uuid), {"node_count": 3}).status_code == 202


def test_resize_is_not_cross_project_even_for_admins(
    alice: Api, bob: Api, admin: Api, as_user: Any
) -> None:
    uuid, _ = recorded_cluster(alice)
    missing = f"Cluster {uuid} could not be found."
    assert_error(bob.post(resize_path(uuid), {"node_count": 2}), 404, missing)
    assert_error(admin.post(resize_path(uuid), {"node_count": 2}), 404, missing)
    assert_error(
        as_user("ann").post(resize_path(uuid), {"node_count": 2}),
        403,
        "Policy doesn't allow cluster:resize to be performed.",
    )


def test_resize_wrong_method(alice: Api) -> None:
    response = alice.get(resize_path("x"))
    assert response.status_code == 405
    assert response.json()["errors"][0]["title"] == ""


def test_resize_of_a_failed_cluster_is_dropped(alice: Api) -> None:
    FakeDriver.fail_at = {"create nodes": "boom"}
    template = make_template(alice)
    uuid = post_cluster(alice, template["uuid"])
    wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_FAILED")
    assert alice.post(resize_path(uuid), {"node_count": 2}).status_code == 202
    wait_for(lambda: not unfinished_requests(uuid))
    body = alice.get(f"/v1/clusters/{uuid}").json()
    assert (body["status"], body["node_count"]) == ("CREATE_FAILED", 1)


# --- upgrade --------------------------------------------------------------------------


def test_upgrade_runs_and_moves_the_cluster_to_the_new_template(alice: Api) -> None:
    cluster = running_cluster(alice)
    target = make_template(alice, name="tpl2")
    response = alice.post(
        upgrade_path(cluster["uuid"]), {"cluster_template": "tpl2", "max_batch_size": 1}
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": cluster["uuid"]}
    body = wait_status(alice, f"/v1/clusters/{cluster['uuid']}", "UPDATE_COMPLETE")
    assert body["cluster_template_id"] == target["uuid"]
    assert ("upgrade", cluster["uuid"]) in FakeDriver.calls


def test_upgrade_version_gates(alice: Api) -> None:
    uuid, _ = recorded_cluster(alice)
    assert alice.at("1.6").post(upgrade_path(uuid), {"cluster_template": "tpl"}).status_code == 406
    assert_error(
        alice.at("1.7").post(upgrade_path(uuid), {"cluster_template": "tpl"}),
        400,
        "Cluster upgrade is not supported in the provided microversion.",
    )


def test_upgrade_errors(alice: Api, bob: Api, as_user: Any) -> None:
    uuid, recorder = recorded_cluster(alice)
    drop_requests(uuid)
    before = snapshot()
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "nope"}),
        404,
        "ClusterTemplate nope could not be found.",
    )
    assert_error(
        alice.post(upgrade_path(uuid), {}), 404, "ClusterTemplate None could not be found."
    )
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "tpl", "max_batch_size": 0}),
        400,
        "Invalid input for field/attribute max_batch_size. Value: '0'. "
        "Value should be greater or equal to 1",
    )
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "tpl", "x": 1}),
        400,
        "Unknown attribute for argument cluster_upgrade_req: x",
    )
    assert_error(
        bob.post(upgrade_path(uuid), {"cluster_template": "tpl"}),
        404,
        f"Cluster {uuid} could not be found.",
    )
    assert_error(
        as_user("ann").post(upgrade_path(uuid), {"cluster_template": "tpl"}),
        403,
        "Policy doesn't allow cluster:upgrade to be performed.",
    )
    assert snapshot() == before
    assert recorder.calls == []


def test_upgrade_refused_by_status_and_driver(
    alice: Api, manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    uuid, _ = recorded_cluster(alice)
    rpc_api.set_transport(LocalTransport(manager, 2))
    drop_requests(uuid)
    before = snapshot(LEASE)
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "tpl"}),
        400,
        'Upgrading a cluster when status is "CREATE_IN_PROGRESS" is not supported.',
    )
    assert snapshot(LEASE) == before

    class NoUpgrade(FakeDriver):
        upgrade_cluster = Driver.upgrade_cluster  # type: ignore[assignment]

    monkeypatch.setattr(fake_driver, "DRIVER", NoUpgrade)
    set_columns(models.Cluster, uuid, status="CREATE_COMPLETE")
    before = snapshot(LEASE)
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "tpl"}),
        400,
        "Upgrading a cluster is not supported by this driver.",
    )
    assert snapshot(LEASE) == before


def test_upgrade_of_a_non_default_nodegroup_keeps_the_cluster_template(alice: Api) -> None:
    uuid, recorder = recorded_cluster(alice)
    add_nodegroup(uuid)
    make_template(alice, name="tpl2")
    assert_error(
        alice.post(upgrade_path(uuid), {"cluster_template": "tpl2", "nodegroup": "extra"}),
        409,
        "Cluster Template is not valid for upgrade: Nodegroup extra can be upgraded only to "
        "match cluster's template (tpl).",
    )
    tpl = cluster_row(uuid).cluster_template_id
    response = alice.post(upgrade_path(uuid), {"cluster_template": tpl, "nodegroup": "extra"})
    assert response.status_code == 202
    assert recorder.calls[-1][0] == "cluster_upgrade"
    assert recorder.calls[-1][1]["max_batch_size"] == 1


def test_admin_upgrades_across_projects(alice: Api, admin: Api) -> None:
    uuid, recorder = recorded_cluster(alice)
    response = admin.post(upgrade_path(uuid), {"cluster_template": "tpl", "max_batch_size": 2})
    assert response.status_code == 202
    template = cluster_row(uuid).cluster_template_id
    worker = nodegroup_rows(uuid)[1]
    assert recorder.calls == [
        (
            "cluster_upgrade",
            {
                "cluster_uuid": uuid,
                "template_uuid": template,
                "max_batch_size": 2,
                "nodegroup_uuid": worker.uuid,
            },
        )
    ]


def load_path(uuid: str) -> str:
    return f"/v1/clusters/{uuid}/actions/load_image"


def test_load_image_copies_into_every_node(alice: Api) -> None:
    cluster = running_cluster(alice, node_count=2)
    response = alice.post(load_path(cluster["name"]), {"image": "busybox:latest"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["uuid"] == cluster["uuid"] and body["image"] == "busybox:latest"
    assert len(body["nodes"]) == 3
    assert ("load busybox:latest", cluster["uuid"]) in FakeDriver.calls
    shown = alice.get(f"/v1/clusters/{cluster['uuid']}").json()
    assert shown["status"] == "CREATE_COMPLETE"  # loading an image does not move the status


def test_load_image_refusals(alice: Api, bob: Api, as_user: Any) -> None:
    cluster = running_cluster(alice)
    uuid = cluster["uuid"]
    assert_error(
        alice.post(load_path(uuid), {"image": "missing:latest"}),
        400,
        "Image missing:latest is not on the conductor's Docker engine.",
    )
    assert_error(
        alice.post(load_path(uuid), {}),
        400,
        "Invalid input for field/attribute image. Value: 'None'. Mandatory field missing.",
    )
    assert_error(
        bob.post(load_path(uuid), {"image": "x"}), 404, f"Cluster {uuid} could not be found."
    )
    assert_error(
        as_user("ann").post(load_path(uuid), {"image": "x"}),
        403,
        "Policy doesn't allow cluster:load_image to be performed.",
    )
    set_columns(models.Cluster, uuid, status="UPDATE_IN_PROGRESS")
    assert_error(
        alice.post(load_path(uuid), {"image": "x"}),
        400,
        'Loading an image into a cluster when status is "UPDATE_IN_PROGRESS" is not supported.',
    )
