"""A cluster whose driver cannot be found fails at once and can always be deleted.

Since PATCH re-checks the driver, such a cluster comes from a template row that
names nothing installed (written in the DB) or a driver uninstalled after the
template was made (here: taken out of the registry).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from moorage.config import CONF
from moorage.db import models, requests
from moorage.db.session import transaction
from tests.api.conftest import Api, wait_for
from tests.api.test_clusters import (
    db_count,
    make_template,
    nodegroup_rows,
    post_cluster,
    running_cluster,
    set_columns,
    wait_status,
)
from tests.support import fake_driver
from tests.support.fake_driver import FakeDriver

MISSING = "Cluster driver (evil) not supported."


@pytest.fixture
def one_cluster_quota() -> Iterator[None]:
    CONF.set_override("max_clusters_per_project", 1, group="quotas")
    yield
    CONF.clear_override("max_clusters_per_project", group="quotas")


def _deleted(api: Api, uuid: str) -> None:
    """DELETE answers 204 and the row, its node groups and certificates go."""
    response = api.delete(f"/v1/clusters/{uuid}")
    assert response.status_code == 204, response.text
    wait_for(lambda: api.get(f"/v1/clusters/{uuid}").status_code == 404)
    assert db_count(models.Cluster) == db_count(models.NodeGroup) == 0
    assert db_count(models.X509KeyPair) == 0


def test_create_fails_at_once_naming_the_driver_and_delete_removes_it(
    alice: Api, one_cluster_quota: None
) -> None:
    template = make_template(alice)
    set_columns(models.ClusterTemplate, template["uuid"], driver="evil")
    uuid = post_cluster(alice, template["uuid"])
    body = wait_status(alice, f"/v1/clusters/{uuid}", "CREATE_FAILED")
    assert body["status_reason"] == MISSING
    assert body["faults"] == {"default-master": MISSING, "default-worker": MISSING}
    assert [g.status for g in nodegroup_rows(uuid)] == ["CREATE_FAILED"] * 2
    with transaction() as session:
        assert requests.unfinished(session, uuid) == []  # nothing left for reconcile
    assert not [call for call in FakeDriver.calls if call[1] == uuid]

    _deleted(alice, uuid)
    # The quota slot is free again, and the template can go.
    good = make_template(alice, name="good")
    post_cluster(alice, good["uuid"])
    assert alice.delete(f"/v1/clustertemplates/{template['uuid']}").status_code == 204


def test_driver_uninstalled_after_create_still_deletes(alice: Api) -> None:
    cluster = running_cluster(alice)
    # As if its package were uninstalled: the registry no longer finds it.
    CONF.set_override("disabled_drivers", [fake_driver.NAME], group="drivers")
    try:
        calls = len(FakeDriver.calls)
        _deleted(alice, cluster["uuid"])
        assert FakeDriver.calls[calls:] == []  # nothing could clean up the provider's side
    finally:
        CONF.clear_override("disabled_drivers", group="drivers")


def test_a_driver_that_exists_cleans_up_before_the_rows_go(alice: Api) -> None:
    cluster = running_cluster(alice)
    _deleted(alice, cluster["uuid"])
    assert ("delete nodes", cluster["uuid"]) in FakeDriver.calls


def test_missing_driver_refuses_a_resize_with_the_reason(alice: Api) -> None:
    """The API asks the driver for its node limit first: no driver, a 400 naming it."""
    cluster = running_cluster(alice)
    uuid = cluster["uuid"]
    set_columns(models.ClusterTemplate, cluster["cluster_template_id"], driver="evil")
    response = alice.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 3})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["detail"] == MISSING
    body = alice.get(f"/v1/clusters/{uuid}").json()
    assert (body["status"], body["node_count"]) == ("CREATE_COMPLETE", cluster["node_count"])
