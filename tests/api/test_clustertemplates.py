"""Cluster template routes."""

from __future__ import annotations

from tests.api.conftest import Api, assert_error, template_body


def test_create_and_show(alice: Api) -> None:
    response = alice.post("/v1/clustertemplates", template_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body) == 36
    assert body["cluster_distro"] == "fakeos"
    assert body["network_driver"] == "docker"
    assert body["driver"] == "fake_test_driver"
    assert body["project_id"] == "project-a"
    assert response.headers["Location"].endswith(f"/v1/clustertemplates/{body['uuid']}")
    shown = alice.get(f"/v1/clustertemplates/{body['uuid']}").json()
    assert shown == body


def test_unknown_attribute(alice: Api) -> None:
    response = alice.post("/v1/clustertemplates", template_body(foo=1))
    assert_error(response, 400, "Unknown attribute for argument cluster_template: foo")


def test_other_project_cannot_see(alice: Api, bob: Api) -> None:
    uuid = alice.post("/v1/clustertemplates", template_body()).json()["uuid"]
    assert_error(
        bob.get(f"/v1/clustertemplates/{uuid}"), 404, f"ClusterTemplate {uuid} could not be found."
    )
    assert bob.get("/v1/clustertemplates").json()["clustertemplates"] == []
