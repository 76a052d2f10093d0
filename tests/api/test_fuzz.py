"""Property-based fuzzing of every documented operation: nothing a client sends gives a 500.

Schemathesis generates requests from the OpenAPI document (valid and invalid
bodies, paths and query strings) and sends them to the app in-process; every
answer must be below 500 and every error must be in Magnum's format.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from moorage.api.app import create_app
from moorage.config import CONF


def _operations() -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def noauth(manager: object) -> object:
    CONF.set_override("auth_strategy", "noauth")
    yield
    CONF.clear_override("auth_strategy")


def test_every_operation_is_fuzzed(noauth: object) -> None:
    failures = []
    operations = _operations()
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.text}"
            )
            if response.status_code >= 400 and response.status_code != 406:
                errors = response.json()["errors"]
                assert len(errors) == 1 and errors[0]["status"] == response.status_code

        try:
            check()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
