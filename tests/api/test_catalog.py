"""``GET /v1/catalog``: the configured images, flavors, networks and key pairs
(Moorage's read-only extension), for every reader of a project. A system-scoped
token's 403 is in test_policy_defaults with every other rule's."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from moorage.config import CONF
from tests.api.conftest import Api
from tests.support import fake_driver


@pytest.fixture
def configured() -> Iterator[None]:
    options = {
        "flavors": ["m1.small:1:1024:10", "big:4:8192:80"],
        "keypairs": ["kp1", "kp2"],
        "networks": ["net1"],
        "subnets": ["sub1"],
    }
    for name, value in options.items():
        CONF.set_override(name, value, group="catalog")
    yield
    for name in options:
        CONF.clear_override(name, group="catalog")


def test_lists_the_configured_catalog(alice: Api, configured: None) -> None:
    response = alice.get("/v1/catalog")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "images": [
            {"name": "moorage-node", "os_distro": "debian", "driver": None},
            {"name": fake_driver.IMAGE, "os_distro": "fakeos", "driver": None},
        ],
        "flavors": [
            {"name": "m1.small", "vcpus": 1, "ram": 1024, "disk": 10},
            {"name": "big", "vcpus": 4, "ram": 8192, "disk": 80},
        ],
        "external_networks": ["public"],
        "networks": ["net1"],
        "subnets": ["sub1"],
        "keypairs": ["kp1", "kp2"],
    }


def test_readers_see_it_and_any_microversion_gets_it(as_user: Callable[[str], Api]) -> None:
    assert as_user("ann").get("/v1/catalog").status_code == 200
    assert as_user("bob").at("1.1").get("/v1/catalog").status_code == 200


def test_it_is_documented_in_the_openapi_schema(alice: Api) -> None:
    schema = alice.get("/openapi.json").json()
    answer = schema["paths"]["/v1/catalog"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Catalog"
    }
