"""``moorage nodegroup ...`` against the real server and the test driver."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.cli.conftest import Cli

MakeCluster = Callable[..., str]
COLUMNS = ["uuid", "name", "flavor_id", "image_id", "node_count", "status", "role"]


def test_list_default_groups(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("ng-list", "--node-count", "2")
    result = cli("nodegroup", "list", "ng-list")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].split() == COLUMNS
    rows = result.table()
    assert [(r[1], r[2], r[3], r[4], r[6]) for r in rows] == [
        ("default-master", "m1.small", "fake-image", "1", "master"),
        ("default-worker", "m1.small", "fake-image", "2", "worker"),
    ]
    masters = cli("-f", "value", "nodegroup", "list", "ng-list", "--role", "master")
    assert [line.split()[1] for line in masters.out.splitlines()] == ["default-master"]


def test_create_show_update_delete(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("ng-life")
    created = cli(
        "nodegroup", "create", "ng-life", "extra",
        "--node-count", "2", "--min-nodes", "1", "--max-nodes", "3",
        "--node-labels", "tier=web", "--node-taints", "dedicated=web:NoSchedule,spot:NoExecute",
    )  # fmt: skip
    assert created.code == 0, created.err
    uuid = created.out.split()[4]
    assert created.out == f"Request to create nodegroup {uuid} accepted\n"

    shown = cli("-f", "json", "nodegroup", "show", "ng-life", "extra").json()
    assert shown["uuid"] == uuid
    assert (shown["node_count"], shown["min_node_count"], shown["max_node_count"]) == (2, 1, 3)
    assert shown["role"] == "worker"
    assert shown["node_labels"] == {"tier": "web"}
    assert shown["node_taints"] == [
        {"key": "dedicated", "value": "web", "effect": "NoSchedule"},
        {"key": "spot", "value": "", "effect": "NoExecute"},
    ]

    updated = cli(
        "-f", "json", "nodegroup", "update", "ng-life", "extra",
        "--max-nodes", "5", "--node-labels", "tier=db,zone=a", "--node-taints", "",
    )  # fmt: skip
    assert updated.code == 0, updated.err
    body = updated.json()
    assert body["max_node_count"] == 5
    assert body["node_labels"] == {"tier": "db", "zone": "a"}
    assert body["node_taints"] == []

    deleted = cli("nodegroup", "delete", "ng-life", "extra")
    assert deleted.code == 0, deleted.err
    assert deleted.out == "Request to delete nodegroup extra has been accepted.\n"
    deadline = time.monotonic() + 20
    while cli("nodegroup", "show", "ng-life", "extra").code == 0:
        assert time.monotonic() < deadline, "the node group was not removed"
        time.sleep(0.2)


def test_default_groups_cannot_be_deleted(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("ng-default")
    result = cli("nodegroup", "delete", "ng-default", "default-worker")
    assert result.code == 1
    assert "ERROR: Deleting a default nodegroup is not supported (HTTP 400)" in result.err


def test_nodegroups_need_microversion_1_9(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("ng-old")
    result = cli("--api-version", "1.8", "nodegroup", "list", "ng-old")
    assert result.code == 1
    assert result.err == (
        "ERROR: Not Acceptable (HTTP 406) for GET /v1/clusters/ng-old/nodegroups/\n"
    )


def test_taints_are_checked_before_sending(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("nodegroup", "create", "c", "ng", "--node-taints", "key:Sometimes")
    assert exc.value.code == 2
    assert "Taint effect 'Sometimes' is not one of NoSchedule" in capsys.readouterr().err


def test_update_with_nothing_to_change(cli: Cli) -> None:
    result = cli("nodegroup", "update", "c", "ng")
    assert result.code == 1
    assert result.err == "ERROR: Nothing to update.\n"
