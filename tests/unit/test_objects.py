"""Pure rules: field parsing, JSON patch, label inheritance, microversions, statuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from moorage import exceptions
from moorage.api import microversion
from moorage.api.errors import FrameworkError
from moorage.api.middleware import normalise_path
from moorage.objects import labels, patch
from moorage.objects.fields import Bool, Field, Int, Labels, Str, Uuid, parse_body, with_defaults

SCHEMA = {
    "name": Field(Str(1, 5, pattern=r"^[a-z]+$")),
    "count": Field(Int(0, 3)),
    "flag": Field(Bool()),
    "labels": Field(Labels()),
    "id": Field(Uuid()),
    "must": Field(Str(), mandatory=True, default="x"),
    "seen": Field(Str(), readonly=True),
    "dropped": Field(Str(), ignored=True),
}


def test_parse_body_coerces_on_create_only() -> None:
    values = parse_body(
        "thing", {"count": "2", "flag": "yes", "must": "m", "labels": {"a": 1}}, SCHEMA
    )
    assert values == {"count": 2, "flag": True, "must": "m", "labels": {"a": "1"}}
    with pytest.raises(exceptions.InvalidInput, match="Wrong type"):
        parse_body("thing", {"count": "2", "must": "m"}, SCHEMA, coerce=False)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"must": "m", "name": "ABC"}, "Value should match the pattern ^[a-z]+$"),
        ({"must": "m", "name": "abcdef"}, "maximum character requirement of 5"),
        ({"must": "m", "count": 4}, "Value should be lower or equal to 3"),
        ({"must": "m", "flag": "maybe"}, "Unrecognized value 'maybe'"),
        ({"must": "m", "labels": {"a": [1]}}, "Expected a string, number or boolean for a"),
        ({"must": "m", "id": "nope"}, "Expected a uuid but received nope."),
        ({"must": "m", "seen": "x"}, "Cannot set read only field."),
        ({"must": None}, "Mandatory field missing."),
    ],
)
def test_parse_body_refusals(body: dict[str, Any], message: str) -> None:
    with pytest.raises(exceptions.Invalid, match=re.escape(message)):
        parse_body("thing", body, SCHEMA)


def test_ignored_fields_and_defaults() -> None:
    values = parse_body("thing", {"must": "m", "dropped": "x", "seen": None}, SCHEMA)
    assert values == {"must": "m"}
    assert with_defaults({"must": None}, SCHEMA)["must"] == "x"


def test_patch_parse_and_apply() -> None:
    ops = patch.parse(
        [{"op": "add", "path": "/labels/k", "value": 1}, {"op": "remove", "path": "/name"}]
    )
    doc = patch.apply({"name": "n", "labels": {}, "uuid": "u"}, ops)
    assert doc == {"name": None, "labels": {"k": 1}, "uuid": "u"} or doc == {
        "labels": {"k": 1},
        "uuid": "u",
    }
    assert patch.changed({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b"}


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ({"op": "add"}, "Value not a valid list"),
        ([{"op": "add", "path": "/a.b", "value": 1}], "Value should match the pattern"),
        ([{"op": "add", "path": "/a", "value": 1.5}], "Wrong type"),
        (
            [{"op": "add", "path": "/a", "value": 1, "x": 2}],
            "Unknown attribute for argument patch: x",
        ),
    ],
)
def test_patch_shape_refusals(ops: Any, message: str) -> None:
    with pytest.raises(exceptions.Invalid, match=message):
        patch.parse(ops)


def test_patch_remove_of_missing_key_explains() -> None:
    with pytest.raises(exceptions.Invalid, match="Couldn't apply patch"):
        patch.apply({"labels": {}}, patch.parse([{"op": "remove", "path": "/labels/nope"}]))


def test_label_merge_and_differences() -> None:
    parent = {"a": "1", "b": "2"}
    assert labels.merged(parent, {"b": "3"}, merge=True) == {"a": "1", "b": "3"}
    assert labels.merged(parent, {"b": "3"}, merge=False) == {"b": "3"}
    assert labels.merged(parent, {}, merge=False) == parent
    assert labels.differences(parent, {"b": "3", "c": "4"}) == {
        "labels_added": {"c": "4"},
        "labels_overridden": {"b": "2"},
        "labels_skipped": {"a": "1"},
    }


def test_microversion_parse() -> None:
    assert str(microversion.parse(None)) == "1.1"
    assert str(microversion.parse("container-infrastructure-management 1.9")) == "1.9"
    assert microversion.parse("anything latest").at_least(14)
    with pytest.raises(FrameworkError):
        microversion.parse("container-infra 1")
    with pytest.raises(microversion.OutOfRange):
        microversion.parse("container-infra 1.15")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/.json", "/"),
        ("/v1.json", "/v1"),
        ("/v1/", "/v1"),
        ("/clusters/x/", "/v1/clusters/x"),
        ("/healthcheck", "/healthcheck"),
    ],
)
def test_normalise_path(path: str, expected: str) -> None:
    assert normalise_path(path) == expected
