"""The dashboard's pure pieces: what an edit form sends (only what changed, labels
key by key), how long a step took, as the timeline shows it, and times."""

from __future__ import annotations

from moorage.dashboard import forms
from moorage.dashboard.pages.clusters import operations, took
from moorage.dashboard.web import when

FIELDS = forms.Fields(ints=("docker_volume_size",), bools=("public",))
BEFORE = {
    "flavor_id": "m1.small",
    "docker_volume_size": 5,
    "public": False,
    "labels": {"a": "1", "b": "2"},
    "keypair_id": None,
}


def test_an_untouched_form_sends_nothing() -> None:
    form = {k: forms.text(v) for k, v in BEFORE.items()}
    form["labels"] = "b=2\r\na=1"  # as a browser sends a textarea, in another order
    assert forms.changes(form, BEFORE, FIELDS) == []


def test_changes_replace_emptied_fields_are_removed_labels_change_key_by_key() -> None:
    form = {
        "flavor_id": "m1.medium",
        "docker_volume_size": "",
        "public": "true",
        "labels": "a=1\nc=3",
        "keypair_id": "",
    }
    assert forms.changes(form, BEFORE, FIELDS) == [
        {"op": "replace", "path": "/flavor_id", "value": "m1.medium"},
        {"op": "remove", "path": "/docker_volume_size"},
        {"op": "replace", "path": "/public", "value": True},
        {"op": "add", "path": "/labels/c", "value": "3"},
        {"op": "remove", "path": "/labels/b"},
    ]


def test_text_typed_for_a_number_goes_to_the_api_as_typed() -> None:
    ops = forms.changes({"docker_volume_size": "many"}, BEFORE, FIELDS)
    assert ops == [{"op": "replace", "path": "/docker_volume_size", "value": "many"}]


def test_durations() -> None:
    start = "2026-12-07T10:00:00.000000+00:00"
    assert took(start, "2026-12-07T10:00:00.400000+00:00") == "0.4 s"
    assert took(start, "2026-12-07T10:00:42.600000+00:00") == "43 s"
    assert took(start, "2026-12-07T10:03:05+00:00") == "3 min 05 s"
    assert took(start, None) == ""


def test_operations_newest_first_with_their_durations() -> None:
    def step(request: int, index: int, start: str, end: str | None) -> dict[str, object]:
        return {"request_id": request, "operation": f"op{request}", "index": index,
                "started_at": f"2026-12-07T10:00:{start}+00:00",
                "finished_at": end and f"2026-12-07T10:00:{end}+00:00"}  # fmt: skip

    ops = operations([step(1, 1, "00", "02"), step(1, 2, "02", "20"), step(2, 1, "30", None)])
    assert [o["operation"] for o in ops] == ["op2", "op1"]
    assert ops[1]["took"] == "20 s" and [s["took"] for s in ops[1]["steps"]] == ["2.0 s", "18 s"]
    assert ops[0]["took"] == ""  # still running


def test_times_are_shown_to_the_second_in_utc() -> None:
    assert when("2026-12-07T11:50:08.720531+00:00") == "2026-12-07 11:50:08 UTC"
    assert when(None) == "-"
