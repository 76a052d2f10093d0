"""Cluster routes (api.md §7), with the conductor and the fake driver behind them.

The helpers at the top are shared by the cluster action, node group and bay tests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from moorage.conductor import periodic
from moorage.conductor.manager import ConductorManager
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.models import utcnow
from moorage.db.session import transaction
from moorage.rpc import api as rpc_api
from tests.api.conftest import Api, assert_error, template_body, wait_for
from tests.support.fake_driver import FakeDriver

ZERO = "Resizing a nodegroup to zero is not supported in the provided microversion."

LIST_KEYS = {
    "uuid",
    "name",
    "cluster_template_id",
    "keypair",
    "docker_volume_size",
    "labels",
    "node_count",
    "master_count",
    "status",
    "master_flavor_id",
    "flavor_id",
    "create_timeout",
    "health_status",
    "cluster_id",
    "links",
    "merge_labels",
}
DETAIL_KEYS = {
    "api_address",
    "cluster_template_id",
    "coe_version",
    "container_version",
    "create_timeout",
    "created_at",
    "discovery_url",
    "docker_volume_size",
    "fixed_network",
    "fixed_subnet",
    "flavor_id",
    "floating_ip_enabled",
    "health_status",
    "health_status_reason",
    "keypair",
    "labels",
    "labels_added",
    "labels_overridden",
    "labels_skipped",
    "links",
    "master_addresses",
    "master_count",
    "master_flavor_id",
    "master_lb_enabled",
    "merge_labels",
    "name",
    "node_addresses",
    "node_count",
    "project_id",
    "cluster_id",
    "status",
    "status_reason",
    "updated_at",
    "user_id",
    "uuid",
}


# --- helpers shared with the other cluster test modules --------------------------------


class Recorder:
    """A transport that keeps casts and calls instead of delivering them."""

    def __init__(self) -> None:
        self.casts: list[tuple[str, dict[str, Any]]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def cast(self, ctx: RequestContext, method: str, **kwargs: Any) -> None:
        self.casts.append((method, kwargs))

    def call(self, ctx: RequestContext, method: str, **kwargs: Any) -> Any:
        self.calls.append((method, kwargs))


def record_casts() -> Recorder:
    """From now on in this test, nothing reaches the conductor (the fixture resets it)."""
    recorder = Recorder()
    rpc_api.set_transport(recorder)
    return recorder


def make_template(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/clustertemplates", template_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def post_cluster(api: Api, template: str, **body: Any) -> str:
    response = api.post("/v1/clusters", {"cluster_template_id": template, **body})
    assert response.status_code == 202, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def wait_status(api: Api, path: str, status: str) -> dict[str, Any]:
    """Poll ``path`` until its status is ``status`` (never past a final one)."""

    def check() -> dict[str, Any] | None:
        body = api.get(path).json()
        if body["status"] == status:
            return body  # type: ignore[no-any-return]
        assert not body["status"].endswith(("COMPLETE", "FAILED")) or body["status"] in (
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
        ), body
        return None

    result: dict[str, Any] = wait_for(check)
    return result


def running_cluster(api: Api, **body: Any) -> dict[str, Any]:
    """A template and a cluster made from it, CREATE_COMPLETE."""
    template = make_template(api)
    uuid = post_cluster(api, template["uuid"], **body)
    return wait_status(api, f"/v1/clusters/{uuid}", "CREATE_COMPLETE")


def db_rows(model: type[models.Base]) -> list[Any]:
    with transaction() as session:
        return list(session.scalars(select(model)).all())


def db_count(model: type[models.Base]) -> int:
    with transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def cluster_row(uuid: str) -> models.Cluster:
    with transaction() as session:
        row = session.scalar(select(models.Cluster).where(models.Cluster.uuid == uuid))
        assert row is not None
        return row


def nodegroup_rows(cluster_uuid: str) -> list[models.NodeGroup]:
    with transaction() as session:
        stmt = (
            select(models.NodeGroup)
            .where(models.NodeGroup.cluster_id == cluster_uuid)
            .order_by(models.NodeGroup.id)
        )
        return list(session.scalars(stmt).all())


def requests_of(cluster_uuid: str) -> list[models.ClusterRequest]:
    """The requests recorded on a cluster, oldest first."""
    with transaction() as session:
        stmt = (
            select(models.ClusterRequest)
            .where(models.ClusterRequest.cluster_id == cluster_uuid)
            .order_by(models.ClusterRequest.id)
        )
        return list(session.scalars(stmt).all())


def unfinished_requests(cluster_uuid: str) -> list[models.ClusterRequest]:
    return [r for r in requests_of(cluster_uuid) if r.state in ("PENDING", "RUNNING")]


def last_request(cluster_uuid: str) -> tuple[str, dict[str, Any], str]:
    """Operation, arguments and state of the request recorded last."""
    row = requests_of(cluster_uuid)[-1]
    return row.operation, row.arguments, row.state


def age_requests(cluster_uuid: str) -> None:
    """Make the cluster's requests look recorded long ago (their casts were lost)."""
    old = utcnow() - timedelta(seconds=CONF.conductor.lease_time + 5)
    with transaction() as session:
        session.execute(
            update(models.ClusterRequest)
            .where(models.ClusterRequest.cluster_id == cluster_uuid)
            .values(created_at=old)
        )


def drop_requests(cluster_uuid: str) -> None:
    """Forget what is recorded on the cluster (a test that built the state by hand)."""
    with transaction() as session:
        session.execute(
            delete(models.ClusterRequest).where(models.ClusterRequest.cluster_id == cluster_uuid)
        )


def set_columns(model: Any, uuid: str, **values: Any) -> None:
    with transaction() as session:
        session.execute(update(model).where(model.uuid == uuid).values(**values))


LEASE = ("lease_owner", "lease_expires_at", "lease_token", "updated_at")


def snapshot(ignore: tuple[str, ...] = ()) -> list[Any]:
    """Every cluster and node group column, to show that a refused request changed nothing.

    ``ignore=LEASE`` leaves out what a conductor that took and gave back the lease touched.
    """
    with transaction() as session:
        rows = [
            *session.scalars(select(models.Cluster)),
            *session.scalars(select(models.NodeGroup)),
            *session.scalars(select(models.ClusterRequest)),
        ]
        return [
            {
                c.key: getattr(row, c.key)
                for c in row.__table__.columns  # type: ignore[attr-defined]
                if c.key not in ignore
            }
            for row in rows
        ]


# --- create ---------------------------------------------------------------------------


def test_create_writes_cluster_and_default_nodegroups_then_casts(alice: Api) -> None:
    template = make_template(alice, labels={"a": "1", "min_node_count": "1"}, docker_volume_size=5)
    recorder = record_casts()
    response = alice.post(
        "/v1/clusters",
        {
            "name": "c1",
            "cluster_template_id": template["name"],
            "master_count": 1,
            "node_count": 2,
            "uuid": "1d4c3ac1-07a3-4b46-bc4a-b2fdd4f4ac3d",
        },
    )
    assert response.status_code == 202
    assert set(response.json()) == {"uuid"}
    assert "Location" not in response.headers
    uuid = response.json()["uuid"]
    assert uuid != "1d4c3ac1-07a3-4b46-bc4a-b2fdd4f4ac3d"
    row = cluster_row(uuid)
    assert row.status == "CREATE_IN_PROGRESS"
    assert row.cluster_template_id == template["uuid"]
    assert (row.project_id, row.user_id) == ("project-a", "alice")
    assert row.docker_volume_size == 5
    assert last_request(uuid) == ("cluster_create", {}, "PENDING")
    assert requests_of(uuid)[0].context["user_id"] == "alice"
    assert recorder.casts == [("cluster_create", {"cluster_uuid": uuid})]
    master, worker = nodegroup_rows(uuid)
    assert (master.name, master.role, master.node_count, master.min_node_count) == (
        "default-master",
        "master",
        1,
        0,
    )
    assert (worker.name, worker.role, worker.node_count, worker.min_node_count) == (
        "default-worker",
        "worker",
        2,
        1,
    )
    for group in (master, worker):
        assert group.is_default and group.status == "CREATE_IN_PROGRESS"
        assert group.labels == {"a": "1", "min_node_count": "1"}
        assert group.image_id == "fake-image"
        assert group.flavor_id == "m1.small"
        assert group.docker_volume_size == 5
        assert group.project_id == "project-a"


def test_create_runs_to_complete_and_delete_removes_everything(alice: Api) -> None:
    template = make_template(alice)
    uuid = post_cluster(alice, template["uuid"], name="c1", node_count=2)
    body = wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_COMPLETE")
    assert set(body) == DETAIL_KEYS
    assert body["api_address"].startswith("tcp://127.0.0.1:")
    assert body["master_addresses"] == ["10.0.0.2"]
    assert body["node_addresses"] == ["10.0.1.2", "10.0.1.3"]
    assert (body["node_count"], body["master_count"]) == (2, 1)
    assert body["cluster_id"] == f"fake-{uuid[:8]}"
    assert body["coe_version"] == "fake-1.0"
    assert body["status_reason"] is None
    assert body["merge_labels"] is False
    assert body["links"] == [
        {"href": f"http://testserver/v1/clusters/{uuid}", "rel": "self"},
        {"href": f"http://testserver/clusters/{uuid}", "rel": "bookmark"},
    ]
    row = cluster_row(uuid)
    assert last_request(uuid) == ("cluster_create", {}, "COMPLETE")
    refs = {row.ca_cert_ref, row.magnum_cert_ref}
    assert {k.uuid for k in db_rows(models.X509KeyPair)} == refs
    assert [g.status for g in nodegroup_rows(uuid)] == ["CREATE_COMPLETE"] * 2

    response = alice.delete(f"/v1/clusters/{uuid}")
    assert response.status_code == 204
    assert response.content == b""
    wait_for(lambda: alice.get(f"/v1/clusters/{uuid}").status_code == 404)
    assert_error(alice.get(f"/v1/clusters/{uuid}"), 404, f"Cluster {uuid} could not be found.")
    assert db_count(models.X509KeyPair) == 0
    assert db_count(models.NodeGroup) == 0
    assert db_count(models.Cluster) == 0


def test_failed_create_shows_faults_and_delete_cleans_up(alice: Api) -> None:
    FakeDriver.fail_at = {"create nodes": "boom"}
    template = make_template(alice)
    uuid = post_cluster(alice, template["uuid"])
    body = wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_FAILED")
    assert body["status_reason"] == "create nodes: boom"
    assert body["faults"] == {
        "default-master": "create nodes: boom",
        "default-worker": "create nodes: boom",
    }
    assert set(body) == DETAIL_KEYS | {"faults"}
    (detail,) = alice.get("/v1/clusters/detail").json()["clusters"]
    assert set(detail) == DETAIL_KEYS
    FakeDriver.fail_at = {}
    assert alice.delete(f"/v1/clusters/{uuid}").status_code == 204
    wait_for(lambda: alice.get(f"/v1/clusters/{uuid}").status_code == 404)
    assert db_count(models.X509KeyPair) == db_count(models.NodeGroup) == 0


def test_lost_cast_is_dispatched_again_by_reconcile(alice: Api, manager: ConductorManager) -> None:
    template = make_template(alice)
    recorder = record_casts()
    uuid = post_cluster(alice, template["uuid"])
    assert len(recorder.casts) == 1  # ...and it never arrives
    age_requests(uuid)  # recorded long ago...
    assert periodic.reconcile(manager) == 1
    body = alice.get(f"/v1/clusters/{uuid}").json()
    assert body["status"] == "CREATE_COMPLETE"
    assert unfinished_requests(uuid) == []
    assert periodic.reconcile(manager) == 0


def test_cast_arriving_after_reconcile_ran_it_is_dropped_quietly(
    alice: Api, manager: ConductorManager, caplog: pytest.LogCaptureFixture
) -> None:
    """The lost cast turns up after all: no second create, no failure notification."""
    template = make_template(alice)
    uuid = post_cluster(alice, template["uuid"])
    before = wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_COMPLETE")
    caplog.set_level("INFO", logger="moorage.notifications")
    manager.cluster_create(RequestContext(project_id="project-a", user_id="alice"), uuid)
    assert not [r for r in caplog.records if r.name == "moorage.notifications"]
    assert alice.get(f"/v1/clusters/{uuid}").json() == before


def test_template_labels_flavors_and_options_are_inherited(alice: Api) -> None:
    CONF.set_override("keypairs", ["kp"], group="catalog")
    CONF.set_override("networks", ["net1"], group="catalog")
    try:
        template = make_template(
            alice,
            labels={"a": "1", "b": "2"},
            keypair_id="kp",
            fixed_network="net1",
            master_lb_enabled=True,
            floating_ip_enabled=False,
            flavor_id="m1.medium",
        )
        record_casts()
        uuid = post_cluster(alice, template["uuid"], labels={"b": 3, "c": True})
        body = alice.get(f"/v1/clusters/{uuid}").json()
        assert body["labels"] == {"b": "3", "c": "True"}
        assert body["labels_added"] == {"c": "True"}
        assert body["labels_overridden"] == {"b": "2"}
        assert body["labels_skipped"] == {"a": "1"}
        assert body["keypair"] == "kp"
        assert body["fixed_network"] == "net1"
        assert body["master_lb_enabled"] is True
        assert body["floating_ip_enabled"] is False
        assert (body["flavor_id"], body["master_flavor_id"]) == ("m1.medium", "m1.small")
        assert body["create_timeout"] == 60

        merged = post_cluster(
            alice, template["uuid"], labels={"b": "3"}, merge_labels=True, flavor_id="m1.large"
        )
        body = alice.get(f"/v1/clusters/{merged}").json()
        assert body["labels"] == {"a": "1", "b": "3"}
        assert body["labels_overridden"] == {"b": "2"}
        assert body["labels_added"] == body["labels_skipped"] == {}
        assert body["flavor_id"] == "m1.large"
        assert body["merge_labels"] is False
        assert nodegroup_rows(merged)[1].flavor_id == "m1.large"

        plain = post_cluster(alice, template["uuid"], labels={}, master_lb_enabled=False)
        body = alice.get(f"/v1/clusters/{plain}").json()
        assert body["labels"] == {"a": "1", "b": "2"}
        assert body["master_lb_enabled"] is False
    finally:
        CONF.clear_override("keypairs", group="catalog")
        CONF.clear_override("networks", group="catalog")


def test_generated_name_and_health_fields_stored(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    uuid = post_cluster(
        alice,
        template["uuid"],
        health_status="UNKNOWN",
        health_status_reason={"api": "?"},
        discovery_url="https://discovery.example/x",
        create_timeout="15",
    )
    body = alice.get(f"/v1/clusters/{uuid}").json()
    assert body["name"].endswith("-cluster") and len(body["name"].split("-")) == 3
    assert body["health_status"] == "UNKNOWN"
    assert body["health_status_reason"] == {"api": "?"}
    assert body["discovery_url"] == "https://discovery.example/x"
    assert body["create_timeout"] == 15


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {},
            "Invalid input for field/attribute cluster_template_id. Value: 'None'. "
            "Mandatory field missing.",
        ),
        ({"foo": 1, "bar": 2}, "Unknown attributes for argument cluster: bar, foo"),
        (
            {"stack_id": "x"},
            "Invalid input for field/attribute stack_id. Value: 'x'. Cannot set read only field.",
        ),
        (
            {"api_address": "x"},
            "Invalid input for field/attribute api_address. Value: 'x'. "
            "Cannot set read only field.",
        ),
        (
            {"name": "123456"},
            "Invalid input for field/attribute name. Value: '123456'. "
            "Value should match the pattern ^[a-zA-Z][a-zA-Z0-9_.-]*$",
        ),
        (
            {"name": "a" * 243},
            f"Invalid input for field/attribute name. Value: '{'a' * 243}'. "
            "Value should have a maximum character requirement of 242",
        ),
        (
            {"master_count": 0},
            "Invalid input for field/attribute master_count. Value: '0'. "
            "Value should be greater or equal to 1",
        ),
        (
            {"node_count": -1},
            "Invalid input for field/attribute node_count. Value: '-1'. "
            "Value should be greater or equal to 0",
        ),
        (
            {"health_status": "FINE"},
            "Invalid input for field/attribute health_status. Value: 'FINE'. "
            "Value should be one of: HEALTHY, UNHEALTHY, UNKNOWN",
        ),
        (
            {"master_count": 2},
            "master nodegroup size of 2 is invalid, size cannot be an even number.",
        ),
        ({"flavor_id": "nope"}, "Unable to find flavor nope."),
        ({"fixed_network": "nope"}, "Unable to find fixed network nope."),
        ({"fixed_subnet": "nope"}, "Unable to find fixed subnet nope."),
        ({"master_count": 3}, "master_count must be 1 when master_lb_enabled is False"),
        (
            {"master_count": 2, "node_count": 0},
            "master nodegroup size of 2 is invalid, size cannot be an even number.",
        ),
    ],
)
def test_create_refused_with_400_changes_nothing(
    alice: Api, body: dict[str, Any], detail: str
) -> None:
    template = make_template(alice)
    body = {"cluster_template_id": template["uuid"], **body} if body else body
    assert_error(alice.post("/v1/clusters", body), 400, detail)
    assert db_count(models.Cluster) == db_count(models.NodeGroup) == 0


def test_not_json_and_not_an_object(alice: Api) -> None:
    assert_error(
        alice.request(
            "POST", "/v1/clusters", content=b"{", headers={"Content-Type": "application/json"}
        ),
        400,
        "Request is not in valid JSON format",
    )
    assert_error(alice.post("/v1/clusters", [1]), 400)
    assert db_count(models.Cluster) == 0


def test_missing_template_is_400_below_1_10_and_404_from_it(alice: Api) -> None:
    message = "ClusterTemplate nope could not be found."
    assert_error(
        alice.at("1.9").post("/v1/clusters", {"cluster_template_id": "nope"}), 400, message
    )
    assert_error(
        alice.at("1.10").post("/v1/clusters", {"cluster_template_id": "nope"}), 404, message
    )
    assert_error(
        alice.at("1.1").post("/v1/clusters", {"cluster_template_id": "nope"}), 400, message
    )
    assert db_count(models.Cluster) == 0


def test_template_of_another_project_is_not_found(alice: Api, bob: Api) -> None:
    template = make_template(bob)
    message = f"ClusterTemplate {template['uuid']} could not be found."
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}), 404, message
    )
    # a public one may be used
    set_columns(models.ClusterTemplate, template["uuid"], public=True)
    record_casts()
    post_cluster(alice, template["uuid"])


def test_template_by_integer_id(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    (row,) = db_rows(models.ClusterTemplate)
    uuid = post_cluster(alice, str(row.id))
    assert cluster_row(uuid).cluster_template_id == template["uuid"]


def test_ambiguous_template_name_is_409(alice: Api) -> None:
    make_template(alice)
    make_template(alice)
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": "tpl"}),
        409,
        "Multiple clustertemplates exist with same name 'tpl'. "
        "Please use the clustertemplate UUID instead.",
    )


def test_node_count_zero_needs_1_10(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    body = {"cluster_template_id": template["uuid"], "node_count": 0}
    assert_error(alice.at("1.9").post("/v1/clusters", body), 400, ZERO)
    assert db_count(models.Cluster) == 0
    assert alice.at("1.10").post("/v1/clusters", body).status_code == 202


def test_driver_must_exist_for_the_template(alice: Api) -> None:
    template = make_template(alice)
    set_columns(models.ClusterTemplate, template["uuid"], cluster_distro="otheros")
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
        400,
        "Cluster type (vm, otheros, swarm-mode) not supported.",
    )


def test_devicemapper_volume_size(alice: Api) -> None:
    template = make_template(alice, docker_storage_driver="devicemapper", docker_volume_size=3)
    assert_error(
        alice.post(
            "/v1/clusters", {"cluster_template_id": template["uuid"], "docker_volume_size": 2}
        ),
        400,
        "docker volume size 2 GB is not valid, expecting minimum value 3GB for devicemapper "
        "storage driver.",
    )
    assert db_count(models.Cluster) == 0


def test_policy_checked_after_body_and_template_checks(as_user: Any, alice: Api) -> None:
    ann = as_user("ann")
    template = make_template(alice)
    assert_error(
        ann.at("1.9").post("/v1/clusters", {"cluster_template_id": "nope"}),
        400,
        "ClusterTemplate nope could not be found.",
    )
    assert_error(
        ann.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
        403,
        "Policy doesn't allow cluster:create to be performed.",
    )
    assert db_count(models.Cluster) == 0


def test_quota_from_config_and_from_quota_row(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    CONF.set_override("max_clusters_per_project", 1, group="quotas")
    try:
        post_cluster(alice, template["uuid"])
        assert_error(
            alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
            403,
            "Resource limit exceeded: You have reached the maximum clusters per project, 1. "
            "You may delete a cluster to make room for a new one.",
        )
        with transaction() as session:
            session.add(models.Quota(project_id="project-a", resource="Cluster", hard_limit=2))
        post_cluster(alice, template["uuid"])
        before = snapshot()
        assert_error(
            alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
            403,
            "Resource limit exceeded: You have reached the maximum clusters per project, 2. "
            "You may delete a cluster to make room for a new one.",
        )
        assert snapshot() == before
    finally:
        CONF.clear_override("max_clusters_per_project", group="quotas")


def test_hidden_template_only_for_admins(alice: Api, admin: Api) -> None:
    template = make_template(alice)
    set_columns(models.ClusterTemplate, template["uuid"], hidden=True)
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
        403,
        "Not authorized.",
    )
    assert db_count(models.Cluster) == 0
    set_columns(models.ClusterTemplate, template["uuid"], public=True)
    record_casts()
    post_cluster(admin, template["uuid"])


def test_root_disk_rule(alice: Api) -> None:
    CONF.set_override("flavors", ["m1.small:1:1024:10", "m1.zero:1:512:0"], group="catalog")
    try:
        template = make_template(alice)
        message = (
            "Flavor with zero root volume size is not supported when boot_volume_size is zero."
        )
        body = {"cluster_template_id": template["uuid"], "flavor_id": "m1.zero"}
        assert_error(alice.post("/v1/clusters", body), 400, message)
        assert_error(
            alice.post(
                "/v1/clusters",
                {"cluster_template_id": template["uuid"], "master_flavor_id": "m1.zero"},
            ),
            400,
            message,
        )
        assert db_count(models.Cluster) == 0
        record_casts()
        post_cluster(
            alice, template["uuid"], flavor_id="m1.zero", labels={"boot_volume_size": "10"}
        )
    finally:
        CONF.clear_override("flavors", group="catalog")


def test_missing_master_flavor_without_boot_volume(alice: Api) -> None:
    body = template_body()
    del body["master_flavor_id"]  # a template refuses an explicit null (Magnum's rule)
    template = alice.post("/v1/clustertemplates", body).json()
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template["uuid"]}),
        400,
        "Unable to find flavor None.",
    )
    record_casts()
    uuid = post_cluster(alice, template["uuid"], labels={"boot_volume_size": "5"})
    assert nodegroup_rows(uuid)[0].flavor_id is None


def test_keypair_must_exist(alice: Api) -> None:
    template = make_template(alice)
    assert_error(
        alice.post("/v1/clusters", {"cluster_template_id": template["uuid"], "keypair": "kp"}),
        404,
        "Unable to find keypair kp.",
    )
    assert db_count(models.Cluster) == 0
    CONF.set_override("keypairs", ["kp"], group="catalog")
    try:
        record_casts()
        uuid = post_cluster(alice, template["uuid"], keypair="kp")
        assert cluster_row(uuid).keypair == "kp"
    finally:
        CONF.clear_override("keypairs", group="catalog")


def test_several_masters_need_a_load_balancer(alice: Api) -> None:
    template = make_template(alice, master_lb_enabled=True)
    record_casts()
    uuid = post_cluster(alice, template["uuid"], master_count=3)
    assert alice.get(f"/v1/clusters/{uuid}").json()["master_count"] == 3
    assert_error(
        alice.post(
            "/v1/clusters",
            {
                "cluster_template_id": template["uuid"],
                "master_count": 3,
                "master_lb_enabled": False,
            },
        ),
        400,
        "master_count must be 1 when master_lb_enabled is False",
    )


# --- list, detail, show ---------------------------------------------------------------


def test_representations_per_microversion(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    uuid = post_cluster(alice, template["uuid"])
    (item,) = alice.get("/v1/clusters").json()["clusters"]
    assert set(item) == LIST_KEYS
    assert item["merge_labels"] is False
    assert (item["node_count"], item["master_count"]) == (1, 1)
    old = alice.at("1.12").get("/v1/clusters").json()["clusters"][0]
    assert set(old) == LIST_KEYS - {"cluster_id"} | {"stack_id"}
    (detail,) = alice.get("/v1/clusters/detail").json()["clusters"]
    assert set(detail) == DETAIL_KEYS
    shown = alice.at("1.12").get(f"/v1/clusters/{uuid}").json()
    assert set(shown) == DETAIL_KEYS - {"cluster_id"} | {"stack_id"}
    assert alice.get(f"/v1/clusters/{uuid}").json() == detail
    assert alice.get("/v1/clusters/c1").status_code == 404
    assert alice.get(f"/v1/clusters/{shown['name']}").json()["uuid"] == uuid
    assert alice.get(f"/clusters/{uuid}/").json()["uuid"] == uuid


def test_paging_with_next_links(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    uuids = [post_cluster(alice, template["uuid"], name=f"c{i}") for i in range(3)]
    first = alice.get("/v1/clusters?limit=2").json()
    assert [c["uuid"] for c in first["clusters"]] == uuids[:2]
    assert first["next"] == (
        "http://testserver/v1/clusters?sort_key=id&sort_dir=asc&limit=2&marker=" + uuids[1]
    )
    second = alice.get(first["next"].removeprefix("http://testserver")).json()
    assert [c["uuid"] for c in second["clusters"]] == uuids[2:]
    assert "next" not in second
    detail = alice.get("/v1/clusters/detail?limit=1&sort_key=name&sort_dir=desc").json()
    assert [c["name"] for c in detail["clusters"]] == ["c2"]
    assert detail["next"] == (
        "http://testserver/v1/clusters/detail?sort_key=name&sort_dir=desc&limit=1&marker="
        + uuids[2]
    )
    assert "next" not in alice.get("/v1/clusters?limit=4").json()


def test_paging_errors(alice: Api) -> None:
    missing = "0b2c8a4e-5a4e-4d0c-9a6b-1f0e2d3c4b5a"
    assert_error(alice.get("/v1/clusters?limit=0"), 400, "Limit must be positive")
    assert_error(
        alice.get(f"/v1/clusters?marker={missing}"), 404, f"Cluster {missing} could not be found."
    )
    assert_error(
        alice.get("/v1/clusters/detail?marker=abc"),
        400,
        "Invalid input for field/attribute marker. Value: 'abc'. unable to convert to uuid. "
        "Error: Expected a uuid but received abc.",
    )
    assert_error(
        alice.get("/v1/clusters?sort_key=bogus"),
        400,
        'The sort_key value "bogus" is an invalid field for sorting',
    )
    assert_error(
        alice.get("/v1/clusters?sort_dir=up"),
        400,
        "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'",
    )
    assert_error(alice.get("/v1/clusters?foo=bar"), 400, 'Unknown argument: "foo"')


def test_other_projects_see_404_and_admin_sees_all(alice: Api, bob: Api, admin: Api) -> None:
    template = make_template(alice)
    record_casts()
    uuid = post_cluster(alice, template["uuid"], name="mine")
    missing = f"Cluster {uuid} could not be found."
    assert bob.get("/v1/clusters").json() == {"clusters": []}
    assert bob.get("/v1/clusters/detail").json() == {"clusters": []}
    assert_error(bob.get(f"/v1/clusters/{uuid}"), 404, missing)
    assert_error(bob.get("/v1/clusters/mine"), 404, "Cluster mine could not be found.")
    before = snapshot()
    assert_error(
        bob.patch(f"/v1/clusters/{uuid}", [{"op": "replace", "path": "/node_count", "value": 2}]),
        404,
        missing,
    )
    assert_error(bob.delete(f"/v1/clusters/{uuid}"), 404, missing)
    assert snapshot() == before
    assert [c["uuid"] for c in admin.get("/v1/clusters").json()["clusters"]] == [uuid]
    assert [c["uuid"] for c in admin.get("/v1/clusters/detail").json()["clusters"]] == [uuid]
    assert admin.get("/v1/clusters/mine").json()["project_id"] == "project-a"
    assert (
        admin.patch(
            f"/v1/clusters/{uuid}", [{"op": "replace", "path": "/node_count", "value": 3}]
        ).status_code
        == 202
    )
    assert admin.delete(f"/v1/clusters/{uuid}").status_code == 204


def test_reader_may_read_but_not_change(as_user: Any, alice: Api) -> None:
    ann = as_user("ann")
    template = make_template(alice)
    record_casts()
    uuid = post_cluster(alice, template["uuid"])
    assert ann.get(f"/v1/clusters/{uuid}").status_code == 200
    assert len(ann.get("/v1/clusters").json()["clusters"]) == 1
    before = snapshot()
    assert_error(
        ann.patch(f"/v1/clusters/{uuid}", [{"op": "replace", "path": "/node_count", "value": 2}]),
        403,
        "Policy doesn't allow cluster:update to be performed.",
    )
    assert_error(
        ann.delete(f"/v1/clusters/{uuid}"),
        403,
        "Policy doesn't allow cluster:delete to be performed.",
    )
    assert snapshot() == before


def test_ambiguous_cluster_name_is_409(alice: Api) -> None:
    template = make_template(alice)
    record_casts()
    post_cluster(alice, template["uuid"], name="dup")
    post_cluster(alice, template["uuid"], name="dup")
    message = "Multiple clusters exist with same name 'dup'. Please use the cluster UUID instead."
    assert_error(alice.get("/v1/clusters/dup"), 409, message)
    assert_error(alice.delete("/v1/clusters/dup"), 409, message)
    assert_error(alice.patch("/v1/clusters/dup", []), 409, message)


# --- patch ----------------------------------------------------------------------------


def test_patch_node_count_resizes_the_default_worker(alice: Api) -> None:
    cluster = running_cluster(alice)
    path = f"/v1/clusters/{cluster['uuid']}"
    response = alice.patch(path, [{"op": "replace", "path": "/node_count", "value": 3}])
    assert response.status_code == 202
    assert response.json() == {"uuid": cluster["uuid"]}
    body = wait_status(alice, path, "UPDATE_COMPLETE")
    assert body["node_count"] == 3
    assert body["node_addresses"] == ["10.0.1.2", "10.0.1.3", "10.0.1.4"]
    assert unfinished_requests(cluster["uuid"]) == []


def test_patch_casts_what_it_recorded(alice: Api) -> None:
    template = make_template(alice)
    recorder = record_casts()
    uuid = post_cluster(alice, template["uuid"], node_count=2)
    path = f"/v1/clusters/{uuid}"
    assert alice.patch(path, [{"op": "remove", "path": "/node_count"}]).status_code == 202
    expected = {
        "cluster_uuid": uuid,
        "node_count": 1,
        "health_status": None,
        "health_status_reason": {},
        "rollback": False,
    }
    assert recorder.casts[-1] == ("cluster_update", expected)
    arguments = {k: v for k, v in expected.items() if k != "cluster_uuid"}
    assert last_request(uuid) == ("cluster_update", arguments, "PENDING")
    # without a /node_count op the default worker's count is sent
    assert (
        alice.patch(
            f"{path}/?rollback=True",
            [
                {"op": "replace", "path": "/health_status", "value": "UNHEALTHY"},
                {"op": "replace", "path": "/health_status_reason", "value": "{'api': 'down'}"},
            ],
        ).status_code
        == 202
    )
    assert recorder.casts[-1] == (
        "cluster_update",
        {
            "cluster_uuid": uuid,
            "node_count": 2,
            "health_status": "UNHEALTHY",
            "health_status_reason": {"api": "down"},
            "rollback": True,
        },
    )


def test_patch_health_only_keeps_status(alice: Api) -> None:
    cluster = running_cluster(alice)
    path = f"/v1/clusters/{cluster['uuid']}"
    ops = [
        {"op": "replace", "path": "/health_status", "value": "HEALTHY"},
        {"op": "replace", "path": "/health_status_reason", "value": "{'api': 'ok'}"},
    ]
    assert alice.patch(path, ops).status_code == 202
    body = wait_for(lambda: (b := alice.get(path).json())["health_status"] == "HEALTHY" and b)
    assert body["health_status_reason"] == {"api": "ok"}
    assert body["status"] == "CREATE_COMPLETE"
    wait_for(lambda: not unfinished_requests(cluster["uuid"]))


def test_patch_refused_while_creating_is_dropped(alice: Api) -> None:
    FakeDriver.fail_at = {"create nodes": "boom"}
    template = make_template(alice)
    uuid = post_cluster(alice, template["uuid"])
    path = f"/v1/clusters/{uuid}"
    wait_status(alice, path, "CREATE_FAILED")
    assert (
        alice.patch(path, [{"op": "replace", "path": "/node_count", "value": 2}]).status_code == 202
    )
    wait_for(lambda: not unfinished_requests(uuid))
    assert alice.get(path).json()["node_count"] == 1
    assert alice.get(path).json()["status"] == "CREATE_FAILED"


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        (
            [{"op": "replace", "path": "/name", "value": "other"}],
            "cannot change cluster property(ies) name.",
        ),
        (
            [
                {"op": "replace", "path": "/name", "value": "other"},
                {"op": "add", "path": "/labels/x", "value": "y"},
            ],
            "cannot change cluster property(ies) labels, name.",
        ),
        (
            [{"op": "replace", "path": "/master_count", "value": 3}],
            "cannot change cluster property(ies) master_count.",
        ),
        (
            [{"op": "replace", "path": "/status", "value": "CREATE_FAILED"}],
            "cannot change cluster property(ies) status.",
        ),
        (
            [{"op": "replace", "path": "/api_address", "value": "x"}],
            "'/api_address' is an internal attribute and can not be updated",
        ),
        (
            [{"op": "replace", "path": "/cluster_id", "value": "x"}],
            "'/cluster_id' is an internal attribute and can not be updated",
        ),
        (
            [{"op": "remove", "path": "/uuid"}],
            "'/uuid' is an internal attribute and can not be updated",
        ),
        (
            [{"op": "add", "path": "/node_count", "value": 2}],
            "The attribute /node_count has existed, please use 'replace' operation instead.",
        ),
        (
            [{"op": "add", "path": "/foo", "value": 2}],
            "Adding a new attribute /foo to the root of the resource is not allowed.",
        ),
        (
            [{"op": "replace", "path": "/node_count", "value": "3"}],
            "Invalid input for field/attribute node_count. Value: '3'. "
            "Wrong type. Expected '<class 'int'>', got '<class 'str'>'",
        ),
        (
            [{"op": "replace", "path": "/health_status", "value": "FINE"}],
            "Invalid input for field/attribute health_status. Value: 'FINE'. "
            "Value should be one of: HEALTHY, UNHEALTHY, UNKNOWN",
        ),
        (
            [{"op": "move", "path": "/node_count"}],
            "Invalid input for field/attribute op. Value: 'move'. "
            "Value should be one of: add, replace, remove",
        ),
        ([{"op": "replace", "path": "/node_count"}], "'add' and 'replace' operations needs value"),
    ],
)
def test_patch_refused_with_400_changes_nothing(
    alice: Api, ops: list[dict[str, Any]], detail: str
) -> None:
    template = make_template(alice)
    recorder = record_casts()
    uuid = post_cluster(alice, template["uuid"])
    drop_requests(uuid)
    before = snapshot()
    assert_error(alice.patch(f"/v1/clusters/{uuid}", ops), 400, detail)
    assert snapshot() == before
    assert len(recorder.casts) == 1


def test_patch_body_checked_before_lookup(alice: Api) -> None:
    assert_error(
        alice.patch("/v1/clusters/nope", {"op": "replace"}),
        400,
        "Invalid input for field/attribute patch. Value: '{'op': 'replace'}'. "
        "Value not a valid list: {'op': 'replace'}",
    )
    assert_error(alice.patch("/v1/clusters/nope", []), 404, "Cluster nope could not be found.")


def test_patch_node_count_zero_and_rollback_by_microversion(alice: Api) -> None:
    template = make_template(alice)
    recorder = record_casts()
    uuid = post_cluster(alice, template["uuid"])
    path = f"/v1/clusters/{uuid}"
    zero = [{"op": "replace", "path": "/node_count", "value": 0}]
    assert_error(alice.at("1.9").patch(path, zero), 400, ZERO)
    assert_error(
        alice.at("1.2").patch(path + "?rollback=True", []), 400, 'Unknown argument: "rollback"'
    )
    assert_error(
        alice.at("1.3").patch(path + "?rollback=maybe", []),
        400,
        "Invalid input for field/attribute rollback. Value: 'maybe'. Unrecognized value 'maybe', "
        "acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', "
        "'y', 'yes'",
    )
    assert len(recorder.casts) == 1
    assert alice.at("1.3").patch(path + "?rollback=yes", []).status_code == 202
    assert recorder.casts[-1][1]["rollback"] is True
    assert alice.at("1.10").patch(path, zero).status_code == 202
    assert recorder.casts[-1][1]["node_count"] == 0


def test_delete_casts_delete(alice: Api) -> None:
    template = make_template(alice)
    recorder = record_casts()
    uuid = post_cluster(alice, template["uuid"], name="gone")
    assert alice.delete("/v1/clusters/gone").status_code == 204
    assert recorder.casts[-1] == ("cluster_delete", {"cluster_uuid": uuid})
    assert last_request(uuid) == ("cluster_delete", {}, "PENDING")
    assert_error(alice.delete("/v1/clusters/nope"), 404, "Cluster nope could not be found.")


def test_wrong_method_is_405(alice: Api) -> None:
    response = alice.request("PUT", "/v1/clusters/x")
    assert response.status_code == 405
    assert response.json()["errors"][0]["detail"] == ""
