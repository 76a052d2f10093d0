"""``moorage quotas ...``, ``stats list`` and ``service list`` (the embedded admin)."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import Cli

Q = ["--resource", "Cluster"]


def fields(out: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in out.splitlines()[2:])


def test_quota_lifecycle(cli: Cli) -> None:
    created = cli("quotas", "create", "--project-id", "proj-q", *Q, "--hard-limit", "4")
    assert created.code == 0, created.err
    assert fields(created.out)["hard_limit"] == "4"
    assert fields(created.out)["project_id"] == "proj-q"

    shown = cli("-f", "json", "quotas", "show", "--project-id", "proj-q", *Q).json()
    assert (shown["project_id"], shown["resource"], shown["hard_limit"]) == ("proj-q", "Cluster", 4)

    updated = cli(
        "-f", "json", "quotas", "update", "--project-id", "proj-q", *Q, "--hard-limit", "7"
    )
    assert updated.code == 0, updated.err
    assert updated.json()["hard_limit"] == 7

    rows = cli("quotas", "list", "--all-tenants").table()
    assert ["proj-q", "Cluster", "7"] in rows

    deleted = cli("quotas", "delete", "--project-id", "proj-q", *Q)
    assert deleted.code == 0, deleted.err
    assert deleted.out == "Request to delete quota for proj-q/Cluster has been accepted.\n"
    assert ["proj-q", "Cluster", "7"] not in cli("quotas", "list", "--all-tenants").table()


def test_quota_errors(cli: Cli) -> None:
    assert cli("quotas", "create", "--project-id", "proj-dup", *Q).code == 0
    dup = cli("quotas", "create", "--project-id", "proj-dup", *Q)
    assert dup.code == 1
    assert dup.err.splitlines()[0] == (
        "ERROR: Quota for project proj-dup already exists for resource Cluster (HTTP 409)"
    )
    gone = cli("quotas", "delete", "--project-id", "proj-none", *Q)
    assert gone.code == 1
    assert "(HTTP 404)" in gone.err


def test_quota_list_own_project(cli: Cli) -> None:
    assert cli("quotas", "create", "--project-id", "default", *Q, "--hard-limit", "50").code == 0
    rows = cli("quotas", "list").table()
    assert ["default", "Cluster", "50"] in rows
    assert all(row[0] == "default" for row in rows)


def test_stats_count_clusters_and_nodes(cli: Cli, make_cluster: Callable[..., str]) -> None:
    before = cli("-f", "json", "stats", "list", "default").json()
    make_cluster("st-1", "--node-count", "2")
    after = cli("-f", "json", "stats", "list", "default").json()
    assert after == [{"clusters": before[0]["clusters"] + 1, "nodes": before[0]["nodes"] + 3}]
    table = cli("stats", "list")
    assert table.out.splitlines()[0].split() == ["clusters", "nodes"]
    assert table.table() == [[str(after[0]["clusters"]), str(after[0]["nodes"])]]
    other = cli("-f", "value", "stats", "list", "nobody")
    assert other.out == "0 0\n"


def test_service_list_shows_the_conductor(cli: Cli) -> None:
    result = cli("service", "list")
    assert result.code == 0, result.err
    header = result.out.splitlines()[0].split()
    assert header == [
        "id", "host", "binary", "state", "disabled", "disabled_reason", "created_at", "updated_at",
    ]  # fmt: skip
    rows = result.table()
    assert len(rows) == 1
    assert rows[0][:6] == ["1", rows[0][1], "magnum-conductor", "up", "False", "-"]
