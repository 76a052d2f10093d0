"""HTTP conventions every route shares (api.md §2, §3, §5)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from moorage.api import policy
from moorage.api.common import json_response
from moorage.api.routes import REGISTERED
from moorage.config import CONF
from tests.api.conftest import Api, assert_error, template_body

EMPTY = {"code": "", "title": "", "detail": "", "links": []}
VERSION_HEADERS = (
    "openstack-api-minimum-version",
    "openstack-api-maximum-version",
    "openstack-api-version",
)


def test_root_document_needs_no_auth(client: TestClient) -> None:
    body = client.get("/").json()
    (version,) = body["versions"]
    assert version["max_version"] == "1.14" and version["min_version"] == "1.1"
    assert version["links"] == [{"href": "http://testserver/v1/", "rel": "self"}]
    assert client.get("/.json").json() == body


def test_v1_document(client: TestClient) -> None:
    response = client.get("/v1/", headers={"OpenStack-API-Version": "container-infra 1.14"})
    body = response.json()
    assert response.headers["openstack-api-version"] == "container-infrastructure-management 1.14"
    assert body["clusters"][0] == {"href": "http://testserver/v1/clusters/", "rel": "self"}
    assert "bays" not in body
    assert body["nodegroups"][0]["href"] == "http://testserver/v1/clusters/{cluster_id}/nodegroups"
    old = client.get("/v1", headers={"OpenStack-API-Version": "container-infra 1.10"}).json()
    assert "bays" in old and "baymodels" in old


def test_no_header_means_1_1_and_latest_means_max(alice: Api) -> None:
    assert (
        alice.at("").get("/v1/clustertemplates").headers["openstack-api-version"].endswith(" 1.1")
    )
    for header in ("container-infra latest", "magnum LATEST"):
        response = alice.get("/v1/clustertemplates", headers={"OpenStack-API-Version": header})
        assert response.headers["openstack-api-version"].endswith(" 1.14")


@pytest.mark.parametrize(
    "header", ["compute 1.2", "1.1", "container-infra abc", "container-infra 1.2.3"]
)
def test_malformed_version_is_a_bare_406(alice: Api, header: str) -> None:
    response = alice.get("/v1/clustertemplates", headers={"OpenStack-API-Version": header})
    assert response.status_code == 406
    request_id = response.headers["x-openstack-request-id"]
    assert response.json() == {"errors": [{**EMPTY, "status": 406, "request_id": request_id}]}
    assert not any(h in response.headers for h in VERSION_HEADERS)


@pytest.mark.parametrize("number", ["2.1", "1.0", "1.99"])
def test_out_of_range_version(alice: Api, number: str) -> None:
    response = alice.get(
        "/v1/clustertemplates", headers={"OpenStack-API-Version": f"container-infra {number}"}
    )
    assert response.status_code == 406
    (error,) = response.json()["errors"]
    assert error["code"] == "magnum.microversion-unsupported"
    assert (error["min_version"], error["max_version"]) == ("1.1", "1.14")
    assert (
        response.headers["openstack-api-version"] == f"container-infrastructure-management {number}"
    )


def test_request_id_on_every_response(client: TestClient, alice: Api) -> None:
    ids = {
        client.get("/").headers["x-openstack-request-id"],
        alice.get("/v1/nope").headers["x-openstack-request-id"],
    }
    assert len(ids) == 2 and all(i.startswith("req-") for i in ids)


def test_unknown_path_and_wrong_method_are_framework_errors(alice: Api) -> None:
    for response, status in (
        (alice.get("/v1/nope"), 404),
        (alice.request("PUT", "/v1/clustertemplates"), 405),
    ):
        assert response.status_code == status
        request_id = response.headers["x-openstack-request-id"]
        assert response.json() == {
            "errors": [{**EMPTY, "status": status, "request_id": request_id}]
        }
        assert "openstack-api-version" not in response.headers


def test_trailing_slash_and_unversioned_paths(alice: Api) -> None:
    uuid = alice.post("/v1/clustertemplates/", template_body()).json()["uuid"]
    assert alice.get(f"/clustertemplates/{uuid}/").json()["uuid"] == uuid


def test_accept_without_json(alice: Api) -> None:
    response = alice.get("/v1/clustertemplates", headers={"Accept": "application/xml"})
    assert_error(
        response,
        406,
        "The API answers in JSON only: send Accept: application/json "
        "(or */*, or no Accept header).",
    )
    assert alice.get("/v1/clustertemplates", headers={"Accept": "*/*"}).status_code == 200


def test_health_and_metrics_answer_whatever_the_accept(client: TestClient) -> None:
    for path in ("/healthcheck", "/metrics"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, (path, response.text)


def test_error_bodies_carry_the_request_id(client: TestClient, alice: Api) -> None:
    for response in (
        alice.get("/v1/clustertemplates/nope"),  # a handler's error
        client.get("/v1/clustertemplates"),  # 401 before any route
        alice.get("/v1/clustertemplates?limit=x"),  # the framework's validation
        alice.get("/v1/clustertemplates", headers={"Accept": "text/html"}),  # the middleware
    ):
        request_id = response.headers["x-openstack-request-id"]
        assert request_id.startswith("req-")
        assert response.json()["errors"][0]["request_id"] == request_id


def test_docs_is_an_offline_page_of_the_routes(client: TestClient) -> None:
    response = client.get("/docs", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "http" not in page.replace("/openapi.json", "")  # nothing fetched from elsewhere
    assert '<a href="/openapi.json">' in page
    assert "<td>POST</td><td>/v1/clusters</td>" in page
    assert "<td>GET</td><td>/v1/clusters/{ident}</td><td>Show a cluster</td>" in page
    assert "/metrics" not in page  # only the documented API


def test_body_format_errors(alice: Api) -> None:
    response = alice.request(
        "POST", "/v1/clustertemplates", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "Unknown mimetype: text/plain")
    response = alice.request(
        "POST",
        "/v1/clustertemplates",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "Request is not in valid JSON format")


def test_unknown_query_argument(alice: Api) -> None:
    assert_error(
        alice.get("/v1/clustertemplates?all_tenants=1"), 400, 'Unknown argument: "all_tenants"'
    )


def test_paging_rules(alice: Api) -> None:
    assert_error(alice.get("/v1/clustertemplates?limit=0"), 400, "Limit must be positive")
    assert_error(
        alice.get("/v1/clustertemplates?sort_dir=up"),
        400,
        "Invalid sort direction: up. Acceptable values are 'asc' or 'desc'",
    )
    assert_error(
        alice.get("/v1/clustertemplates?sort_key=nope"),
        400,
        'The sort_key value "nope" is an invalid field for sorting',
    )
    error = assert_error(alice.get("/v1/clustertemplates?marker=xyz"), 400)
    assert error["detail"].startswith("Invalid input for field/attribute marker. Value: 'xyz'.")
    missing = "0b4a4a58-9a16-4f1e-9f5e-0d0c0e0f0a0b"
    assert_error(
        alice.get(f"/v1/clustertemplates?marker={missing}"),
        404,
        f"ClusterTemplate {missing} could not be found.",
    )


def test_next_link_walks_every_page(alice: Api) -> None:
    made = [
        alice.post("/v1/clustertemplates", template_body(name=f"t{i}")).json()["uuid"]
        for i in range(5)
    ]
    seen, url = [], "/v1/clustertemplates?limit=2&sort_key=name"
    while url:
        body = alice.get(url).json()
        seen += [t["uuid"] for t in body["clustertemplates"]]
        url = body.get("next", "").replace("http://testserver", "")
        if url:
            assert "?sort_key=name&sort_dir=asc&limit=2&marker=" in url
    assert seen == made


def test_authentication_required(client: TestClient) -> None:
    for auth in (None, ("alice", "wrong"), ("nobody", "secret")):
        response = client.get("/v1/clustertemplates", auth=auth)
        assert_error(response, 401, "The request you have made requires authentication.")
        assert response.headers["www-authenticate"].startswith("Basic")
    garbage = client.get("/v1/clustertemplates", headers={"Authorization": "Basic !!!"})
    assert garbage.status_code == 401


def test_noauth_acts_as_admin_of_the_default_project(client: TestClient) -> None:
    CONF.set_override("auth_strategy", "noauth")
    try:
        body = client.post("/v1/clustertemplates", json=template_body(public=True)).json()
        assert (body["project_id"], body["user_id"], body["public"]) == ("default", "admin", True)
    finally:
        CONF.clear_override("auth_strategy")


def test_policy_file_overrides_a_rule(alice: Api, tmp_path: Path) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"clustertemplate:create": "role:admin"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    try:
        assert_error(
            alice.post("/v1/clustertemplates", template_body()),
            403,
            "Policy doesn't allow clustertemplate:create to be performed.",
        )
    finally:
        CONF.clear_override("policy_file", group="oslo_policy")
        policy.reset()


def test_one_access_log_line_per_request(alice: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="moorage.api.access")
    ok = alice.get("/v1/clustertemplates?limit=5")
    refused = alice.get("/v1/clustertemplates", headers={"Accept": "text/html"})
    lines = [r.getMessage() for r in caplog.records if r.name == "moorage.api.access"]
    assert len(lines) == 2, lines
    for line, response, status in ((lines[0], ok, 200), (lines[1], refused, 406)):
        assert line.startswith(f'testclient "GET /v1/clustertemplates" {status} '), line
        assert line.endswith(f" ms {response.headers['x-openstack-request-id']}"), line


def test_get_routes_answer_the_bytes_fastapis_encoder_would(alice: Api) -> None:
    """The GET routes skip ``jsonable_encoder``: their bodies are what it would make."""
    template = alice.post("/v1/clustertemplates", template_body()).json()
    cluster = alice.post(
        "/v1/clusters", {"name": "c1", "cluster_template_id": template["uuid"]}
    ).json()
    for path in (
        "/v1/clustertemplates",
        f"/v1/clustertemplates/{template['uuid']}",
        "/v1/clusters/detail",
        f"/v1/clusters/{cluster['uuid']}",
    ):
        response = alice.get(path)
        assert response.status_code == 200, response.text
        expected = JSONResponse(jsonable_encoder(response.json())).body
        assert response.content == expected
        assert response.headers["content-type"] == "application/json"


def test_json_response_falls_back_to_the_encoder() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5)
    assert json_response({"at": when}).body == b'{"at":"2026-01-02T03:04:05"}'
    assert json_response({"n": [1, "é"]}).body == '{"n":[1,"é"]}'.encode()
    # What orjson refuses is written as FastAPI writes it.
    assert json_response({"big": 2**70}).body == b'{"big":1180591620717411303424}'
    assert json_response({1: "one"}).body == b'{"1":"one"}'


def test_json_response_writes_what_fastapi_writes() -> None:
    body = {
        "clusters": [{"uuid": "u", "labels": {"k": 'vé\u2028"<>&'}, "n": 3, "ok": True}],
        "next": None,
        "nested": [[], {}, [1.5, -0.0, 10**18]],
    }
    answer = json_response(body)
    assert answer.body == JSONResponse(jsonable_encoder(body)).body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.body))


def test_only_plain_get_routes_skip_the_encoder() -> None:
    """A route with a status, headers or a method of its own keeps FastAPI's way."""
    wrapped = {
        (method, router.prefix + route.path)
        for router in REGISTERED
        for route in router.routes
        if hasattr(getattr(route, "endpoint", None), "__wrapped__")
        for method in getattr(route, "methods", ())
    }
    assert ("GET", "/clusters") in wrapped
    assert ("GET", "/clustertemplates/{ident}") in wrapped
    assert ("GET", "/clusters/{cluster_ident}/nodegroups") in wrapped
    assert not {method for method, _ in wrapped} - {"GET"}
