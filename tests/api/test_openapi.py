"""``/openapi.json`` describes every answer: a dashboard generates its client from it.

Every operation documents its success answer with a schema, and real answers
validate against theirs and name no field the schema does not.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Api
from tests.api.test_clusters import make_template, running_cluster

# Routes that answer without a body.
NO_BODY = "204"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (status,) = [code for code in operation["responses"] if code.startswith("2")]
    return status, operation["responses"][status]


def test_every_operation_documents_its_success_answer(document: dict[str, Any]) -> None:
    undocumented = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            status, answer = _success(operation)
            if status == NO_BODY:
                continue
            content = answer.get("content", {})
            json = content.get("application/json", {}).get("schema", {})
            text = content.get("text/plain", {}).get("schema", {})
            if "$ref" not in json and text.get("type") != "string":
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


def _check(document: dict[str, Any], method: str, path: str, body: Any) -> None:
    """``body`` is valid for the documented answer and names only documented fields."""
    _, answer = _success(document["paths"][path][method])
    ref = answer["content"]["application/json"]["schema"]["$ref"]
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": ref, "components": document["components"]}
    )
    errors = [error.message for error in validator.iter_errors(body)]
    assert errors == []
    schemas = document["components"]["schemas"]
    declared = set(schemas[ref.rsplit("/", 1)[1]]["properties"])
    assert set(body) <= declared


def test_real_answers_match_their_schemas(alice: Api, document: dict[str, Any]) -> None:
    cluster = running_cluster(alice, name="c1")
    uuid = cluster["uuid"]
    _check(document, "get", "/v1/clusters/{ident}", cluster)
    listed = alice.get("/v1/clusters/detail").json()
    _check(document, "get", "/v1/clusters/detail", listed)
    for item in listed["clusters"]:
        assert set(item) <= set(document["components"]["schemas"]["Cluster"]["properties"])
    groups = alice.get(f"/v1/clusters/{uuid}/nodegroups").json()
    _check(document, "get", "/v1/clusters/{cluster_ident}/nodegroups", groups)
    group = alice.get(f"/v1/clusters/{uuid}/nodegroups/default-worker").json()
    _check(document, "get", "/v1/clusters/{cluster_ident}/nodegroups/{ident}", group)
    template = make_template(alice, name="another")
    _check(document, "post", "/v1/clustertemplates", template)
    _check(document, "get", "/v1/stats", alice.get("/v1/stats").json())
    _check(document, "get", "/", alice.get("/").json())


def test_a_body_that_breaks_the_schema_is_caught(document: dict[str, Any]) -> None:
    """The check above can fail: a wrong type or an unknown field does."""
    with pytest.raises(AssertionError):
        _check(document, "get", "/v1/stats", {"clusters": "many", "nodes": 0})
    with pytest.raises(AssertionError):
        _check(document, "get", "/v1/stats", {"clusters": 1, "nodes": 0, "pods": 3})


def test_more_answers_match_their_schemas(admin: Api, document: dict[str, Any]) -> None:
    cluster = running_cluster(admin, name="c2")
    uuid = cluster["uuid"]
    group = admin.post(
        f"/v1/clusters/{uuid}/nodegroups", {"name": "extra", "node_count": 1, "max_node_count": 3}
    )
    assert group.status_code == 202, group.text
    _check(document, "post", "/v1/clusters/{cluster_ident}/nodegroups", group.json())
    quota = admin.post("/v1/quotas", {"project_id": "p1", "resource": "Cluster", "hard_limit": 5})
    assert quota.status_code == 201, quota.text
    _check(document, "post", "/v1/quotas", quota.json())
    _check(document, "get", "/v1/quotas", admin.get("/v1/quotas").json())
    federation = admin.post(
        "/v1/federations",
        {"name": "fed", "hostcluster_id": uuid, "properties": {"dns-zone": "example.com."}},
    )
    assert federation.status_code == 202, federation.text
    _check(document, "post", "/v1/federations", federation.json())
    _check(document, "get", "/v1/federations/detail", admin.get("/v1/federations/detail").json())
    _check(document, "get", "/v1/clustertemplates", admin.get("/v1/clustertemplates").json())
    _check(
        document,
        "get",
        "/v1/certificates/{cluster_ident}",
        admin.get(f"/v1/certificates/{uuid}").json(),
    )
    _check(document, "get", "/v1/mservices", admin.get("/v1/mservices").json())
    _check(document, "get", "/v1", admin.get("/v1").json())
    old = admin.at("1.1")
    _check(document, "get", "/v1/bays/{ident}", old.get(f"/v1/bays/{uuid}").json())
    _check(document, "get", "/v1/baymodels", old.get("/v1/baymodels").json())
