"""``PATCH /v1/credentials/{cluster}``: credential rotation from microversion 1.12."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moorage.db import models
from moorage.drivers.base import ClusterSpec
from moorage.objects.status import Status
from tests.api.conftest import Api, assert_error
from tests.support import factories, fake_driver


@pytest.fixture
def cluster(alice: Api) -> models.Cluster:
    return factories.cluster("project-a", "alice", name="c1", with_ca=False)


@pytest.fixture
def rotated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Give the fake driver credential rotation; the list records the clusters rotated."""
    done: list[str] = []

    def rotate_credential(self: fake_driver.FakeDriver, spec: ClusterSpec) -> None:
        done.append(spec.uuid)

    monkeypatch.setattr(
        fake_driver.FakeDriver, "rotate_credential", rotate_credential, raising=False
    )
    return done


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "application/json"}, {"Content-Type": "application/octet-stream"}],
    ids=["no-content-type", "json", "octet-stream"],
)
def test_rotate(
    alice: Api, cluster: models.Cluster, rotated: list[str], headers: dict[str, str]
) -> None:
    response = alice.request("PATCH", f"/v1/credentials/{cluster.uuid}", headers=headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": cluster.uuid}
    assert rotated == [cluster.uuid]


def test_rotate_by_name_with_trailing_slash(
    alice: Api, cluster: models.Cluster, rotated: list[str]
) -> None:
    response = alice.patch("/v1/credentials/c1/")
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": cluster.uuid}


def test_below_1_12_is_a_framework_406(alice: Api, cluster: models.Cluster) -> None:
    response = alice.at("1.11").patch(f"/v1/credentials/{cluster.uuid}")
    assert response.status_code == 406
    (error,) = response.json()["errors"]
    assert error == {
        "request_id": response.headers["x-openstack-request-id"],
        "code": "",
        "status": 406,
        "title": "",
        "detail": "",
        "links": [],
    }
    assert "OpenStack-API-Version" not in response.headers
    assert alice.at("1.12").patch(f"/v1/credentials/{cluster.uuid}").status_code != 406


def test_driver_without_support(alice: Api, cluster: models.Cluster) -> None:
    assert_error(
        alice.patch(f"/v1/credentials/{cluster.uuid}"),
        400,
        "Credential rotation is not supported by driver.",
    )


def test_status_not_allowed(alice: Api, rotated: list[str]) -> None:
    busy = factories.cluster("project-a", "alice", status=Status.CREATE_IN_PROGRESS, with_ca=False)
    assert_error(
        alice.patch(f"/v1/credentials/{busy.uuid}"),
        400,
        'Rotating credentials of a cluster when status is "CREATE_IN_PROGRESS" is not supported.',
    )
    assert rotated == []
    failed = factories.cluster("project-a", "alice", status=Status.UPDATE_FAILED, with_ca=False)
    assert alice.patch(f"/v1/credentials/{failed.uuid}").status_code == 202


def test_policy_and_scope(
    bob: Api,
    admin: Api,
    as_user: Callable[[str], Api],
    cluster: models.Cluster,
    rotated: list[str],
) -> None:
    assert_error(
        as_user("ann").patch(f"/v1/credentials/{cluster.uuid}"),
        403,
        "Policy doesn't allow credential:rotate to be performed.",
    )
    missing = f"Cluster {cluster.uuid} could not be found."
    assert_error(bob.patch(f"/v1/credentials/{cluster.uuid}"), 404, missing)
    assert_error(admin.patch(f"/v1/credentials/{cluster.uuid}"), 404, missing)
    assert_error(bob.patch("/v1/credentials/nope"), 404, "Cluster nope could not be found.")
    assert rotated == []
    another = as_user("alice2").patch(f"/v1/credentials/{cluster.uuid}")
    assert another.status_code == 202, another.text
    assert rotated == [cluster.uuid]


def test_body_errors(alice: Api, cluster: models.Cluster) -> None:
    response = alice.request(
        "PATCH",
        f"/v1/credentials/{cluster.uuid}",
        content=b"x",
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, 415, "Unknown mimetype: text/plain")
