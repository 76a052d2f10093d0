"""Limits on what one request may ask for: counts, sizes, depth, labels, microversions.

Every count entering the API is an integer within its database column and, for
nodes, within the driver's and the operator's limit per cluster; a refusal is a
4xx in Magnum's format that writes nothing, and ``GET /v1/stats`` still answers.
Casts are recorded, never run: a count that slipped through must not reach the
conductor (it would allocate in proportion to it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import models
from moorage.drivers.swarm_docker.driver import SwarmDockerDriver
from tests.api.conftest import Api, assert_error, template_body
from tests.api.test_bays import baymodel_body, make_baymodel, post_bay
from tests.api.test_cluster_actions import add_nodegroup, resize_path
from tests.api.test_clusters import (
    LEASE,
    Recorder,
    db_count,
    make_template,
    post_cluster,
    record_casts,
    running_cluster,
    snapshot,
)
from tests.support.fake_driver import FakeDriver

DB_MAX = 2**31 - 1
# The inputs: beyond the column, beyond 64 bits, and not integers at all.
BAD_COUNTS: tuple[Any, ...] = (10**12, 2**63 - 1, 2**63, 1e30, 2.5, "many")
LIMIT = 10
OPERATOR = "[cluster] max_nodes_per_cluster"


@pytest.fixture(autouse=True)
def _limit(manager: object) -> Iterator[None]:
    CONF.set_override("max_nodes_per_cluster", LIMIT, group="cluster")
    yield
    CONF.clear_override("max_nodes_per_cluster", group="cluster")


def assert_refused(response: Any, field: str, value: Any) -> None:
    """A 400 naming the field, and the column's limit when the value is an integer."""
    error = assert_error(response, 400)
    assert f"field/attribute {field}." in error["detail"], (value, error)
    if isinstance(value, int):
        assert f"Value should be lower or equal to {DB_MAX}" in error["detail"], (value, error)
    else:
        assert "Wrong type. Expected '<class 'int'>'" in error["detail"], (value, error)


def assert_patch_refused(response: Any, field: str, value: Any) -> None:
    """As ``assert_refused``; a float is refused earlier, by the JSON patch's own checks."""
    if isinstance(value, float):
        detail = assert_error(response, 400)["detail"]
        assert detail.startswith(f"Invalid input for field/attribute value. Value: '{value}'")
    else:
        assert_refused(response, field, value)


def too_many(total: int, limit: int = LIMIT, source: str = OPERATOR) -> str:
    return f"Too many nodes: the cluster would have {total}, the limit is {limit} ({source})."


def assert_nothing_written(api: Api, before: list[Any], recorder: Recorder) -> None:
    assert snapshot(LEASE) == before
    assert recorder.casts == [] and recorder.calls == []
    response = api.get("/v1/stats")
    assert response.status_code == 200, response.text


def patch_op(path: str, value: Any) -> list[dict[str, Any]]:
    return [{"op": "replace", "path": path, "value": value}]


def max_node_count_refused(value: int) -> str:
    return (
        f"Invalid input for field/attribute max_node_count. Value: '{value}'. "
        f"Value should be lower or equal to {LIMIT}, the most nodes a cluster may have "
        f"({OPERATOR})"
    )


def frozen_cluster(api: Api, extra_nodes: int = 0) -> tuple[str, Recorder, list[Any]]:
    """A CREATE_COMPLETE cluster (plus a group "extra" of ``extra_nodes``), its columns,
    and the recorder that keeps every later cast from the conductor."""
    uuid = running_cluster(api)["uuid"]
    if extra_nodes:
        add_nodegroup(uuid, node_count=extra_nodes)
    recorder = record_casts()
    return uuid, recorder, snapshot(LEASE)


# --- clusters ---------------------------------------------------------------------------


def test_cluster_create_refuses_counts_beyond_their_column(alice: Api, admin: Api) -> None:
    template = make_template(alice)["uuid"]
    recorder = record_casts()
    for field in ("node_count", "master_count", "create_timeout", "docker_volume_size"):
        for value in BAD_COUNTS:
            body = {"cluster_template_id": template, field: value}
            assert_refused(alice.post("/v1/clusters", body), field, value)
    assert db_count(models.Cluster) == 0 and db_count(models.NodeGroup) == 0
    assert_nothing_written(alice, [], recorder)
    assert admin.get("/v1/stats").json() == {"clusters": 0, "nodes": 0}


def test_cluster_create_counts_masters_and_workers_against_the_operator_limit(
    alice: Api,
) -> None:
    template = make_template(alice, master_lb_enabled=True)["uuid"]
    recorder = record_casts()
    for masters, workers in ((1, LIMIT), (3, LIMIT - 2)):
        body = {"cluster_template_id": template, "master_count": masters, "node_count": workers}
        assert_error(alice.post("/v1/clusters", body), 400, too_many(LIMIT + 1))
    assert_nothing_written(alice, [], recorder)
    post_cluster(alice, template, master_count=3, node_count=LIMIT - 3)


def test_the_driver_limit_applies_when_it_is_lower(
    alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeDriver, "max_nodes", 4)
    template = make_template(alice)["uuid"]
    record_casts()
    body = {"cluster_template_id": template, "node_count": 4}
    assert_error(alice.post("/v1/clusters", body), 400, too_many(5, 4, "driver FakeDriver"))
    monkeypatch.setattr(FakeDriver, "max_nodes", LIMIT + 5)
    body["node_count"] = LIMIT
    assert_error(alice.post("/v1/clusters", body), 400, too_many(LIMIT + 1))


def test_swarm_fits_one_bridge_network() -> None:
    """A /24 from .10 up, less the broadcast address."""
    assert SwarmDockerDriver.max_nodes == 245


def test_cluster_patch_refuses_counts(alice: Api) -> None:
    uuid, recorder, before = frozen_cluster(alice, extra_nodes=3)
    path = f"/v1/clusters/{uuid}"
    for value in BAD_COUNTS:
        response = alice.patch(path, patch_op("/node_count", value))
        assert_patch_refused(response, "node_count", value)
    # 1 master + 3 in "extra" + the workers asked for
    response = alice.patch(path, patch_op("/node_count", LIMIT - 3))
    assert_error(response, 400, too_many(LIMIT + 1))
    assert_nothing_written(alice, before, recorder)
    assert alice.patch(path, patch_op("/node_count", LIMIT - 4)).status_code == 202


def test_resize_refuses_counts(alice: Api) -> None:
    uuid, recorder, before = frozen_cluster(alice, extra_nodes=3)
    for value in BAD_COUNTS:
        response = alice.post(resize_path(uuid), {"node_count": value})
        assert_refused(response, "node_count", value)
    for group, count in (("default-worker", LIMIT - 3), ("extra", LIMIT - 1)):
        response = alice.post(resize_path(uuid), {"node_count": count, "nodegroup": group})
        assert_error(response, 400, too_many(LIMIT + 1))
    assert_nothing_written(alice, before, recorder)
    assert alice.post(resize_path(uuid), {"node_count": LIMIT - 2, "nodegroup": "extra"}).is_success


def test_a_cluster_over_a_lowered_limit_may_shrink(alice: Api) -> None:
    uuid, _, _ = frozen_cluster(alice, extra_nodes=3)
    CONF.set_override("max_nodes_per_cluster", 3, group="cluster")
    response = alice.post(resize_path(uuid), {"node_count": 2, "nodegroup": "extra"})
    assert response.status_code == 202, response.text
    health = patch_op("/health_status", "HEALTHY")
    assert alice.patch(f"/v1/clusters/{uuid}", health).status_code == 202
    response = alice.post(resize_path(uuid), {"node_count": 2})
    assert_error(response, 400, too_many(6, 3))


# --- node groups ----------------------------------------------------------------------


def test_nodegroup_create_refuses_counts(alice: Api) -> None:
    uuid, recorder, before = frozen_cluster(alice)
    path = f"/v1/clusters/{uuid}/nodegroups"
    for field in ("node_count", "min_node_count", "max_node_count", "docker_volume_size"):
        for value in BAD_COUNTS:
            assert_refused(alice.post(path, {"name": "ng", field: value}), field, value)
    # 1 master + 1 default worker + the new group
    response = alice.post(path, {"name": "ng", "node_count": LIMIT - 1})
    assert_error(response, 400, too_many(LIMIT + 1))
    response = alice.post(path, {"name": "ng", "max_node_count": LIMIT + 1})
    assert_error(response, 400, max_node_count_refused(LIMIT + 1))
    assert_nothing_written(alice, before, recorder)
    response = alice.post(path, {"name": "ng", "node_count": LIMIT - 2, "max_node_count": LIMIT})
    assert response.status_code == 202, response.text


def test_nodegroup_patch_refuses_counts(alice: Api) -> None:
    uuid, recorder, before = frozen_cluster(alice, extra_nodes=2)
    path = f"/v1/clusters/{uuid}/nodegroups/extra"
    for field in ("min_node_count", "max_node_count"):
        for value in BAD_COUNTS:
            assert_patch_refused(alice.patch(path, patch_op(f"/{field}", value)), field, value)
    response = alice.patch(path, patch_op("/max_node_count", LIMIT + 1))
    assert_error(response, 400, max_node_count_refused(LIMIT + 1))
    assert_nothing_written(alice, before, recorder)
    assert alice.patch(path, patch_op("/max_node_count", LIMIT)).status_code == 202


# --- templates, bays, quotas -----------------------------------------------------------


@pytest.mark.usefixtures("keypair")
def test_templates_refuse_volume_sizes(alice: Api) -> None:
    for value in BAD_COUNTS:
        response = alice.post(
            "/v1/clustertemplates",
            {**template_body(), "docker_volume_size": value},
        )
        assert_refused(response, "docker_volume_size", value)
        response = alice.at("1.1").post("/v1/baymodels", baymodel_body(docker_volume_size=value))
        assert_refused(response, "docker_volume_size", value)
    assert db_count(models.ClusterTemplate) == 0
    template = make_template(alice)["uuid"]
    for value in BAD_COUNTS:
        response = alice.patch(
            f"/v1/clustertemplates/{template}", patch_op("/docker_volume_size", value)
        )
        assert_patch_refused(response, "docker_volume_size", value)
    assert alice.get(f"/v1/clustertemplates/{template}").json()["docker_volume_size"] is None


@pytest.fixture
def keypair() -> Iterator[None]:
    """Baymodels must name a key pair: make "kp" exist."""
    CONF.set_override("keypairs", ["kp"], group="catalog")
    yield
    CONF.clear_override("keypairs", group="catalog")


@pytest.mark.usefixtures("keypair")
def test_bays_refuse_counts(alice: Api) -> None:
    baymodel = make_baymodel(alice)["uuid"]
    legacy = alice.at("1.2")
    recorder = record_casts()
    for field in ("node_count", "master_count", "bay_create_timeout", "docker_volume_size"):
        for value in BAD_COUNTS:
            response = legacy.post("/v1/bays", {"baymodel_id": baymodel, field: value})
            assert_refused(response, field, value)
    response = legacy.post("/v1/bays", {"baymodel_id": baymodel, "node_count": LIMIT})
    assert_error(response, 400, too_many(LIMIT + 1))
    assert_nothing_written(legacy, [], recorder)
    uuid = post_bay(alice, baymodel)
    before = snapshot(LEASE)
    for value in BAD_COUNTS:
        response = legacy.patch(f"/v1/bays/{uuid}", patch_op("/node_count", value))
        assert_patch_refused(response, "node_count", value)
    response = legacy.patch(f"/v1/bays/{uuid}", patch_op("/node_count", LIMIT))
    assert_error(response, 400, too_many(LIMIT + 1))
    assert snapshot(LEASE) == before


def test_quotas_refuse_hard_limits(admin: Api) -> None:
    for value in BAD_COUNTS:
        body = {"project_id": "project-a", "resource": "Cluster", "hard_limit": value}
        assert_refused(admin.post("/v1/quotas", body), "hard_limit", value)
    assert db_count(models.Quota) == 0
    admin.post("/v1/quotas", {"project_id": "project-a", "resource": "Cluster", "hard_limit": 3})
    for value in BAD_COUNTS:
        response = admin.patch("/v1/quotas/project-a/Cluster", {"hard_limit": value})
        assert_refused(response, "hard_limit", value)
    assert admin.get("/v1/quotas/project-a/Cluster").json()["hard_limit"] == 3


# --- bodies, JSON depth, labels, microversions -------------------------------------------


def test_a_body_over_the_limit_is_413(alice: Api) -> None:
    template = make_template(alice)["uuid"]
    recorder = record_casts()
    limit = CONF.oslo_middleware.max_request_body_size
    assert limit == 114688
    detail = (
        f"Request is too large. The body may be at most {limit} bytes "
        "([oslo_middleware] max_request_body_size)."
    )
    padded = b'{"cluster_template_id": "%s", "name": "%s"}' % (
        template.encode(),
        b"x" * limit,
    )
    headers = {"Content-Type": "application/json"}
    assert_error(alice.post("/v1/clusters", content=padded, headers=headers), 413, detail)
    # without a Content-Length (chunked): counted while it is read
    chunks = iter([padded[:1000], padded[1000:]])
    response = alice.post("/v1/clusters", content=chunks, headers=headers)
    assert_error(response, 413, detail)
    CONF.set_override("max_request_body_size", 100, group="oslo_middleware")
    try:
        response = alice.post("/v1/clusters", {"cluster_template_id": template, "name": "a" * 80})
        assert response.status_code == 413
    finally:
        CONF.clear_override("max_request_body_size", group="oslo_middleware")
    assert_nothing_written(alice, [], recorder)


def test_json_nested_too_deep_is_400(alice: Api) -> None:
    template = make_template(alice)["uuid"]
    recorder = record_casts()
    for depth in (40, 20000):
        nested = "[" * depth + "]" * depth
        body = f'{{"cluster_template_id": "{template}", "labels": {{"a": {nested}}}}}'
        response = alice.post(
            "/v1/clusters", content=body, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, "The request body nests JSON deeper than 32 levels.")
    assert_nothing_written(alice, [], recorder)


def test_labels_have_limits(alice: Api) -> None:
    template = make_template(alice)["uuid"]
    recorder = record_casts()
    cases = (
        ({f"k{i}": "v" for i in range(129)}, "At most 128 labels"),
        ({"k" * 256: "v"}, "A label key may have at most 255 characters"),
        ({"k": "v" * 4097}, "A label value may have at most 4096 characters"),
    )
    for labels, reason in cases:
        response = alice.post("/v1/clusters", {"cluster_template_id": template, "labels": labels})
        assert reason in assert_error(response, 400)["detail"]
        response = alice.post("/v1/clustertemplates", {**template_body(), "labels": labels})
        assert reason in assert_error(response, 400)["detail"]
    assert_nothing_written(alice, [], recorder)
    assert db_count(models.ClusterTemplate) == 1
    labels = {f"k{i}": "v" * 4096 for i in range(20)}
    post_cluster(alice, template, labels={**labels, "k" * 255: "v"})


def test_a_microversion_of_thousands_of_digits_is_406(alice: Api) -> None:
    for number in ("1." + "9" * 5000, "9" * 5000 + ".1", "1." + "9" * 100):
        response = alice.get(
            "/v1/clusters", headers={"OpenStack-API-Version": f"container-infra {number}"}
        )
        assert response.status_code == 406, response.text
        (error,) = response.json()["errors"]
        assert error["status"] == 406
