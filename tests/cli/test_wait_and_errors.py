"""``--wait`` endings the test driver cannot produce, and odd error bodies, on a scripted server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moorage.cli import main
from tests.cli.conftest import Result
from tests.cli.stub import Script, cluster, stub

FAST = ["--wait", "--poll-interval", "0.01"]


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> Result:
    code = main.run(["--url", url, *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_create_wait_exits_1_on_failed(capsys: pytest.CaptureFixture[str]) -> None:
    script = {
        "POST /v1/clusters": [(202, {"uuid": "u-1"})],
        "GET /v1/clusters/u-1": [
            (404, {"errors": [{"title": "Cluster u-1 could not be found"}]}),
            (200, cluster("CREATE_IN_PROGRESS")),
            (200, cluster("CREATE_IN_PROGRESS", "create nodes")),
            (200, cluster("CREATE_IN_PROGRESS", "create nodes")),
            (200, cluster("CREATE_FAILED", "create nodes: boom")),
        ],
    }
    with stub(script) as url:
        result = run(capsys, url, "cluster", "create", "doomed", "--cluster-template", "t", *FAST)
    assert result.code == 1
    assert result.out == "Request to create cluster u-1 accepted\n"
    assert result.err.splitlines() == [
        "cluster doomed: CREATE_IN_PROGRESS",
        "cluster doomed: CREATE_IN_PROGRESS - create nodes",
        "cluster doomed: CREATE_FAILED - create nodes: boom",
        "ERROR: cluster doomed ended in CREATE_FAILED: create nodes: boom",
    ]


def test_update_wait_ignores_the_old_final_status(capsys: pytest.CaptureFixture[str]) -> None:
    before = cluster("UPDATE_COMPLETE", None, "t1")
    script = {
        "GET /v1/clusters/doomed": [(200, before)],
        "PATCH /v1/clusters/doomed": [(202, {"uuid": "u-1"})],
        "GET /v1/clusters/u-1": [
            (200, before),
            (200, before),
            (200, cluster("UPDATE_FAILED", "resize: no room", "t2")),
        ],
    }
    with stub(script) as url:
        result = run(capsys, url, "cluster", "update", "doomed", "--node-count", "9", *FAST)
    assert result.code == 1
    assert result.err.splitlines() == [
        "cluster doomed: UPDATE_FAILED - resize: no room",
        "ERROR: cluster doomed ended in UPDATE_FAILED: resize: no room",
    ]


def test_delete_wait_failed(capsys: pytest.CaptureFixture[str]) -> None:
    script: Script = {
        "GET /v1/clusters/doomed": [
            (200, cluster("CREATE_COMPLETE")),
            (200, cluster("DELETE_IN_PROGRESS")),
            (200, cluster("DELETE_FAILED", "stuck")),
        ],
        "DELETE /v1/clusters/doomed": [(204, "")],
    }
    with stub(script) as url:
        result = run(capsys, url, "cluster", "delete", "doomed", *FAST)
    assert result.code == 1
    assert result.err.splitlines()[-1] == "ERROR: cluster doomed ended in DELETE_FAILED: stuck"


def test_wait_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    script = {
        "POST /v1/clusters": [(202, {"uuid": "u-1"})],
        "GET /v1/clusters/u-1": [(200, cluster("CREATE_IN_PROGRESS"))],
    }
    with stub(script) as url:
        result = run(
            capsys, url, "cluster", "create", "doomed", "--cluster-template", "t",
            *FAST, "--wait-timeout", "0.2",
        )  # fmt: skip
    assert result.code == 1
    assert result.err.splitlines()[-1] == "ERROR: cluster doomed did not finish within 0.2 seconds"


def test_keystone_style_error_body(capsys: pytest.CaptureFixture[str]) -> None:
    body = {"error": {"code": 401, "title": "Unauthorized", "message": "Authenticate first."}}
    with stub({"GET /v1/clustertemplates": [(401, body)]}) as url:
        result = run(capsys, url, "template", "list")
    assert result.code == 1
    assert result.err == "ERROR: Unauthorized (HTTP 401)\nAuthenticate first.\n"


def test_framework_error_names_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    empty = {"errors": [{"request_id": "", "code": "", "status": 405, "title": "", "detail": ""}]}
    with stub({"DELETE /v1/clustertemplates/x": [(405, empty)]}) as url:
        result = run(capsys, url, "template", "delete", "x")
    assert result.code == 1
    assert result.err == (
        "Delete of cluster template x failed: "
        "ERROR: Method Not Allowed (HTTP 405) for DELETE /v1/clustertemplates/x\n"
    )


def test_non_json_error_body(capsys: pytest.CaptureFixture[str]) -> None:
    with stub({"GET /v1/mservices": [(502, "Bad gateway from the proxy")]}) as url:
        result = run(capsys, url, "service", "list")
    assert result.code == 1
    assert result.err == (
        "ERROR: Bad Gateway (HTTP 502) for GET /v1/mservices\nBad gateway from the proxy\n"
    )


def test_list_follows_next_links(capsys: pytest.CaptureFixture[str]) -> None:
    def page(names: list[str], nxt: str | None) -> dict[str, Any]:
        items = [{"uuid": f"id-{n}", "name": n, "tags": None} for n in names]
        return {"clustertemplates": items, **({"next": nxt} if nxt else {})}

    # ``next`` links are absolute; URL is replaced by the stub's address below.
    script = {
        "GET /v1/clustertemplates": [(200, page(["a", "b"], "URL/v1/clustertemplates?marker=b"))],
        "GET /v1/clustertemplates?marker=b": [(200, page(["c"], None))],
        "GET /v1/clustertemplates?limit=2": [
            (200, page(["a", "b"], "URL/v1/clustertemplates?limit=2&marker=b"))
        ],
    }
    with stub(script) as url:
        for answers in script.values():
            for _, body in answers:
                if "next" in body:
                    body["next"] = body["next"].replace("URL", url)
        everything = run(capsys, url, "-f", "value", "template", "list")
        limited = run(capsys, url, "-f", "value", "template", "list", "--limit", "2")
    assert everything.out.split() == ["id-a", "a", "-", "id-b", "b", "-", "id-c", "c", "-"]
    assert limited.out.split() == ["id-a", "a", "-", "id-b", "b", "-"]


def test_config_before_the_cluster_has_an_address(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = {
        "GET /v1/clusters/doomed": [
            (
                200,
                {**cluster("CREATE_IN_PROGRESS"), "cluster_template_id": "t", "api_address": None},
            )
        ],
        "GET /v1/clustertemplates/t": [(200, {"coe": "swarm-mode", "tls_disabled": False})],
    }
    with stub(script) as url:
        result = run(capsys, url, "cluster", "config", "doomed", "--dir", str(tmp_path))
    assert result.code == 1
    assert result.err == (
        "ERROR: cluster doomed has no API address yet (status CREATE_IN_PROGRESS)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_config_without_tls_prints_the_plain_docker_host(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = {
        "GET /v1/clusters/doomed": [
            (
                200,
                {
                    **cluster("CREATE_COMPLETE"),
                    "cluster_template_id": "t",
                    "api_address": "tcp://10.1.1.1:2375",
                },
            )
        ],
        "GET /v1/clustertemplates/t": [(200, {"coe": "swarm-mode", "tls_disabled": True})],
    }
    with stub(script) as url:
        result = run(capsys, url, "cluster", "config", "doomed", "--dir", str(tmp_path))
    assert result.code == 0, result.err
    assert result.out == "export DOCKER_HOST=tcp://10.1.1.1:2375\n"
    assert list(tmp_path.iterdir()) == []


def test_endpoint_with_a_path_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalog-style URL ending in /v1 below a prefix; ``next`` names another host."""
    item = {"uuid": "id-a", "name": "a", "tags": None}
    script: Script = {
        "GET /prefix/v1/clustertemplates": [
            (200, {"clustertemplates": [item], "next": "NEXT"}),
        ],
        "GET /prefix/v1/clustertemplates?marker=id-a": [
            (200, {"clustertemplates": [{**item, "uuid": "id-b", "name": "b"}]}),
        ],
    }
    with stub(script) as url:
        port = url.rsplit(":", 1)[1]
        script["GET /prefix/v1/clustertemplates"][0][1]["next"] = (
            f"http://localhost:{port}/prefix/v1/clustertemplates?marker=id-a"
        )
        result = run(capsys, f"{url}/prefix/v1/", "-f", "value", "template", "list")
    assert result.code == 0, result.err
    assert result.out == "id-a a -\nid-b b -\n"
