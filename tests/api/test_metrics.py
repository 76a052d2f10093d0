"""``GET /metrics``: every request is counted under a bounded set of labels."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Api


def request_series(client: TestClient) -> list[str]:
    text = client.get("/metrics").text
    return [line for line in text.splitlines() if line.startswith("moorage_api_requests_total{")]


def test_arbitrary_methods_and_paths_share_one_label(client: TestClient, alice: Api) -> None:
    alice.get("/v1/clustertemplates")
    before = len(request_series(client))
    for i in range(40):
        client.request(f"BREW{i}", f"/v1/pot-{i}")
        client.request(f"BREW{i}", "/v1/clustertemplates")
    series = request_series(client)
    assert not any("BREW" in line or "pot-" in line for line in series), series
    assert len(series) - before <= 4, series  # /metrics itself, other x (matched, unmatched)
    assert any('method="other",route="<unmatched>"' in line for line in series), series
    assert any('method="GET",route="/v1/clustertemplates"' in line for line in series), series
