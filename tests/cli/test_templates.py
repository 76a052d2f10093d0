"""``moorage template ...`` against the real server."""

from __future__ import annotations

from tests.cli.conftest import FLAVORS, TEMPLATE, Cli


def test_create_prints_message_and_fields(cli: Cli) -> None:
    result = cli("template", "create", "alpha", *TEMPLATE, "--labels", "a=1,b=2", "--tags", "x")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Request to create cluster template alpha accepted"
    assert lines[1].split() == ["Field", "Value"]
    fields = dict(line.split(None, 1) for line in lines[3:])
    assert fields["name"] == "alpha"
    assert fields["coe"] == "swarm-mode"
    assert fields["image_id"] == "fake-image"
    assert fields["labels"] == '{"a": "1", "b": "2"}'
    assert fields["tags"] == "x"
    assert fields["keypair_id"] == "-"
    assert "links" not in fields


def test_create_json_sends_only_given_options(cli: Cli) -> None:
    result = cli(
        "-f", "json", "template", "create", "beta", *TEMPLATE,
        "--flavor", "m1.small", "--docker-volume-size", "5", "--public", "--floating-ip-disabled",
        "--tags", "a,b", "--tags", "a",
    )  # fmt: skip
    assert result.code == 0, result.err
    body = result.json()
    assert body["flavor_id"] == "m1.small"
    assert body["docker_volume_size"] == 5
    assert body["public"] is True
    assert body["floating_ip_enabled"] is False
    assert body["tags"] == "a,b"
    assert body["master_flavor_id"] is None
    assert "links" not in body


def test_list_table_and_fields(cli: Cli) -> None:
    cli("template", "create", "gamma", *TEMPLATE, "--tags", "t1")
    result = cli("template", "list", "--fields", "coe,image_id")
    assert result.code == 0
    header = result.out.splitlines()[0].split()
    assert header == ["uuid", "name", "tags", "coe", "image_id"]
    rows = {row[1]: row for row in result.table()}
    assert rows["gamma"][2:] == ["t1", "swarm-mode", "fake-image"]
    assert len(rows["gamma"][0]) == 36


def test_list_value_and_limit(cli: Cli) -> None:
    for name in ("p1", "p2", "p3"):
        assert cli("template", "create", name, *TEMPLATE).code == 0
    everything = cli("-f", "value", "template", "list", "--sort-key", "name").out.splitlines()
    two = cli("template", "list", "-f", "value", "--limit", "2", "--sort-key", "name")
    assert two.out.splitlines() == everything[:2]
    assert len(everything) >= 3


def test_show_by_name_and_json(cli: Cli) -> None:
    cli("template", "create", "delta", *TEMPLATE)
    result = cli("template", "show", "delta", "-f", "json")
    assert result.code == 0
    body = result.json()
    assert body["name"] == "delta"
    assert body["driver"] == "fake_test_driver"
    assert body["cluster_distro"] == "fakeos"


def test_update_named_options_and_labels(cli: Cli) -> None:
    # Both flavors: an update checks them as Magnum does ("Unable to find flavor None").
    cli("template", "create", "eps", *TEMPLATE, *FLAVORS, "--labels", "keep=1,drop=2")
    result = cli(
        "-f", "json", "template", "update", "eps",
        "--name", "eps2", "--flavor", "m1.large", "--label", "new=3", "--no-label", "drop",
        "--registry-enabled",
    )  # fmt: skip
    assert result.code == 0, result.err
    body = result.json()
    assert body["name"] == "eps2"
    assert body["flavor_id"] == "m1.large"
    assert body["labels"] == {"keep": "1", "new": "3"}
    assert body["registry_enabled"] is True


def test_update_nothing_is_a_client_error(cli: Cli) -> None:
    cli("template", "create", "zeta", *TEMPLATE)
    result = cli("template", "update", "zeta")
    assert result.code == 1
    assert result.err.strip() == "ERROR: Nothing to update."


def test_server_error_title_and_detail_on_stderr(cli: Cli) -> None:
    cli("template", "create", "twin", *TEMPLATE)
    cli("template", "create", "twin", *TEMPLATE)
    result = cli("template", "show", "twin")
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "ERROR: Multiple clustertemplates exist with same name 'twin' (HTTP 409)"
    assert lines[1] == (
        "Multiple clustertemplates exist with same name 'twin'. "
        "Please use the clustertemplate UUID instead."
    )


def test_not_found(cli: Cli) -> None:
    result = cli("template", "show", "nope")
    assert result.code == 1
    assert result.err.strip() == "ERROR: ClusterTemplate nope could not be found (HTTP 404)"


def test_validation_error_from_server(cli: Cli) -> None:
    result = cli("template", "create", "bad", "--coe", "mesos", "--image", "fake-image",
                 "--external-network", "public")  # fmt: skip
    assert result.code == 1
    assert "(HTTP 400)" in result.err.splitlines()[0]
    assert "mesos" in result.err


def test_delete_several_continues_past_errors(cli: Cli) -> None:
    cli("template", "create", "del1", *TEMPLATE)
    cli("template", "create", "del2", *TEMPLATE)
    result = cli("template", "delete", "del1", "missing", "del2")
    assert result.code == 1
    assert result.out.splitlines() == [
        "Request to delete cluster template del1 has been accepted.",
        "Request to delete cluster template del2 has been accepted.",
    ]
    assert "Delete of cluster template missing failed" in result.err
    assert "ClusterTemplate missing could not be found (HTTP 404)" in result.err
    names = cli("-f", "value", "template", "list").out
    assert "del1" not in names and "del2" not in names
