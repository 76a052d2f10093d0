"""``moorage cluster ...`` against the real server and the test driver."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import FAST, Cli

MakeCluster = Callable[..., str]


def test_create_wait_shows_progress_and_ends_complete(cli: Cli, swarm_template: str) -> None:
    result = cli("cluster", "create", "c-wait", "--cluster-template", swarm_template, *FAST)
    assert result.code == 0, result.err
    uuid = result.out.split()[4]
    assert result.out == f"Request to create cluster {uuid} accepted\n"
    progress = result.err.splitlines()
    assert progress[0].startswith("cluster c-wait: CREATE_IN_PROGRESS")
    assert progress[-1] == "cluster c-wait: CREATE_COMPLETE"
    assert len(progress) == len(set(progress)), "one line per change"
    shown = cli("-f", "json", "cluster", "show", uuid).json()
    assert shown["status"] == "CREATE_COMPLETE"
    assert shown["name"] == "c-wait"


def test_create_options_reach_the_cluster(cli: Cli, swarm_template: str) -> None:
    result = cli(
        "-f", "json", "cluster", "create", "c-opts", "--cluster-template", swarm_template,
        "--node-count", "2", "--labels", "a=1", "--labels", "b=2", "--timeout", "30",
    )  # fmt: skip
    assert result.code == 0, result.err
    uuid = result.json()["uuid"]
    shown = cli("-f", "json", "cluster", "show", "c-opts").json()
    assert shown["uuid"] == uuid
    assert shown["node_count"] == 2
    assert shown["master_count"] == 1
    assert shown["labels"] == {"a": "1", "b": "2"}
    assert shown["create_timeout"] == 30


def test_list_and_show_tables(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("c-list")
    rows = {row[0]: row for row in cli("cluster", "list").table()}
    assert rows[uuid] == [uuid, "c-list", "-", "1", "1", "CREATE_COMPLETE", "-"]
    shown = cli("cluster", "show", "c-list")
    fields = dict(line.split(None, 1) for line in shown.out.splitlines()[2:])
    assert fields["uuid"] == uuid
    assert fields["api_address"].startswith("tcp://127.0.0.1:")
    assert fields["node_addresses"] == '["10.0.1.2"]'
    wide = cli("cluster", "list", "--fields", "flavor_id,create_timeout", "-f", "value").out
    assert f"{uuid} c-list - 1 1 CREATE_COMPLETE - m1.small 60\n" in wide


def test_update_node_count_waits_for_update_complete(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("c-upd")
    result = cli("cluster", "update", "c-upd", "--node-count", "3", *FAST)
    assert result.code == 0, result.err
    assert result.out == f"Request to update cluster {uuid} has been accepted.\n"
    assert result.err.splitlines()[-1] == "cluster c-upd: UPDATE_COMPLETE"
    assert "CREATE_COMPLETE" not in result.err
    assert cli("-f", "json", "cluster", "show", uuid).json()["node_count"] == 3
    # A second update is not mistaken for the first one's UPDATE_COMPLETE.
    again = cli("cluster", "update", "c-upd", "--node-count", "2", *FAST)
    assert again.code == 0, again.err
    assert cli("-f", "json", "cluster", "show", uuid).json()["node_count"] == 2


def test_update_refused_properties_report_the_server_error(
    cli: Cli, make_cluster: MakeCluster
) -> None:
    make_cluster("c-name")
    result = cli("cluster", "update", "c-name", "--name", "other")
    assert result.code == 1
    assert result.err.startswith("ERROR: cannot change cluster property(ies) name (HTTP 400)")


def test_resize_wait(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("c-resize")
    result = cli("cluster", "resize", "c-resize", "4", *FAST)
    assert result.code == 0, result.err
    assert result.out == f"Request to resize cluster {uuid} has been accepted.\n"
    assert result.err.splitlines()[-1] == "cluster c-resize: UPDATE_COMPLETE"
    assert cli("-f", "json", "cluster", "show", uuid).json()["node_count"] == 4


def test_upgrade_wait(cli: Cli, make_cluster: MakeCluster, swarm_template: str) -> None:
    uuid = make_cluster("c-upgrade")
    result = cli("cluster", "upgrade", "c-upgrade", swarm_template, *FAST)
    assert result.code == 0, result.err
    assert result.out == f"Request to upgrade cluster {uuid} has been accepted.\n"
    assert result.err.splitlines()[-1] == "cluster c-upgrade: UPDATE_COMPLETE"


def test_delete_wait_until_gone(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("c-del")
    result = cli("cluster", "delete", "c-del", *FAST)
    assert result.code == 0, result.err
    assert result.out == "Request to delete cluster c-del has been accepted.\n"
    assert result.err.splitlines()[-1] == "cluster c-del: deleted"
    gone = cli("cluster", "show", "c-del")
    assert gone.code == 1
    assert gone.err.strip() == "ERROR: Cluster c-del could not be found (HTTP 404)"


def test_delete_several_reports_each_failure(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("c-del2")
    result = cli("cluster", "delete", "ghost", "c-del2")
    assert result.code == 1
    assert result.out == "Request to delete cluster c-del2 has been accepted.\n"
    assert "Delete of cluster ghost failed: ERROR: Cluster ghost could not be found" in result.err


def test_create_from_missing_template(cli: Cli) -> None:
    result = cli("cluster", "create", "c-orphan", "--cluster-template", "no-such-template")
    assert result.code == 1
    assert "no-such-template" in result.err
    assert "(HTTP 404)" in result.err


def test_master_lb_disabled_with_several_masters_is_refused_locally(cli: Cli) -> None:
    result = cli(
        "cluster", "create", "c-lb", "--cluster-template", "x",
        "--master-count", "3", "--master-lb-disabled",
    )  # fmt: skip
    assert result.code == 1
    assert result.err.strip() == "ERROR: --master-lb-disabled needs --master-count 1"


def test_update_with_rollback_flag(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("c-rb")
    result = cli("cluster", "update", "c-rb", "--node-count", "2", "--rollback", *FAST)
    assert result.code == 0, result.err
    assert cli("-f", "json", "cluster", "show", uuid).json()["node_count"] == 2


def test_list_sorted_and_limited(cli: Cli, make_cluster: MakeCluster) -> None:
    make_cluster("c-sort-a")
    make_cluster("c-sort-b")
    names = cli("-f", "value", "cluster", "list", "--sort-key", "name", "--sort-dir", "desc")
    listed = [line.split()[1] for line in names.out.splitlines()]
    assert listed == sorted(listed, reverse=True)
    one = cli("-f", "json", "cluster", "list", "--sort-key", "name", "--limit", "1").json()
    assert [c["name"] for c in one] == [min(listed)]
    assert sorted(one[0]) == sorted(
        ["uuid", "name", "keypair", "node_count", "master_count", "status", "health_status"]
    )
