"""Magnum's own CLI (``openstack coe ...``, python-magnumclient) against a real Moorage.

The ``openstack`` command from ``.venv-clients`` (``make clients``) runs in a
subprocess against ``moorage serve`` with the test driver, without Keystone:

* ``--os-auth-type none --os-endpoint http://HOST:PORT/v1`` (keystoneauth's
  ``none`` plugin; the token it sends is ignored by ``auth_strategy = noauth``);
* ``--os-auth-type http_basic --os-username U --os-password P --os-endpoint ...``
  (keystoneauth's ``http_basic`` plugin) against ``auth_strategy = http_basic``.

Every command runs with ``--debug`` so that a failure shows the request the
client sent and the response it got. Tests of one server share its state and
run in file order (template, then cluster, then what needs a cluster).

Every ``openstack coe`` command works without Keystone; only the kubeconfig that
``coe cluster config --use-keystone`` writes needs Keystone tokens (see
test_cluster_config_kubernetes). ``scripts/coe_matrix.py`` turns the outcome of
these tests into docs/coe-commands.md. ``Coe`` and ``Run`` are also used by
tests/real/test_keystone.py.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]
OPENSTACK = ROOT / ".venv-clients" / "bin" / "openstack"
# With a master flavor: without one the client sends "master_flavor_id": null, which
# Moorage refuses as Magnum does (test_template_create_without_master_flavor_is_refused).
# A test wanting another master flavor passes --master-flavor again (the last one wins).
TEMPLATE = (
    "--coe", "swarm-mode", "--image", "fake-image", "--external-network", "public",
    "--master-flavor", "m1.tiny",
)  # fmt: skip
WAIT_SECONDS = 60
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --- running the client -----------------------------------------------------------


@dataclass
class Run:
    """One finished ``openstack`` command."""

    argv: list[str]
    rc: int
    stdout: str
    stderr: str

    @property
    def evidence(self) -> str:
        """The command, the HTTP exchanges the client logged (--debug) and its output."""
        wire = [
            line
            for line in self.stderr.splitlines()
            if line.startswith(("REQ:", "RESP:", "RESP BODY:"))
        ]
        tail = [line for line in self.stderr.splitlines() if line.strip()][-3:]
        return "\n".join(
            [" ".join(self.argv[1:]), f"rc={self.rc}", *wire, "stdout:", self.stdout, *tail]
        )

    @property
    def message(self) -> str:
        """What the client told the user about the failure (its last error line)."""
        lines = [line for line in self.stderr.splitlines() if "(HTTP " in line]
        assert lines, self.evidence
        return lines[0]

    def json(self) -> Any:
        """The ``-f json`` document, after any "Request ... accepted" line before it."""
        lines = self.stdout.splitlines()
        for index, line in enumerate(lines):
            if line.startswith(("{", "[")):
                return json.loads("\n".join(lines[index:]))
        raise AssertionError(f"no JSON in the output\n{self.evidence}")

    def table(self) -> list[dict[str, str]]:
        """Rows of a ``+---+`` table printed by the client (commands without ``-f``)."""
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in self.stdout.splitlines()
            if line.startswith("|")
        ]
        assert rows, self.evidence
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    def properties(self) -> dict[str, str]:
        """A ``Property | Value`` table (``print_dict``) as a dict."""
        return {row["Property"]: row["Value"] for row in self.table()}

    def response(self) -> Any:
        """The last JSON body the server sent (logged by --debug)."""
        bodies = [
            line.removeprefix("RESP BODY: ")
            for line in self.stderr.splitlines()
            if line.startswith("RESP BODY: {")
        ]
        assert bodies, self.evidence
        return json.loads(bodies[-1])

    def response_title(self) -> str:
        """``errors[0].title`` of the last error body the server sent."""
        return str(self.response()["errors"][0]["title"])


class Coe:
    """``openstack <auth options> coe ...`` for one user of one server."""

    def __init__(self, cli: Path, cwd: Path, endpoint: str, auth: list[str]) -> None:
        self.prefix = [str(cli), "--debug", *auth, "--os-endpoint", endpoint]
        self.cwd = cwd
        # Nothing from the environment (OS_CLOUD, OS_AUTH_URL, ...) may steer the client.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        # `coe cluster config` of a swarm cluster reads $SHELL to pick export/setenv.
        self.env["SHELL"] = "/bin/bash"

    def at(self, version: str) -> Coe:
        """The same user asking for microversion ``version`` instead of ``latest``."""
        other = copy.copy(self)
        other.prefix = [*self.prefix, "--os-container-infra-api-version", version]
        return other

    def run(self, *args: str) -> Run:
        argv = [*self.prefix, "coe", *args]
        done = subprocess.run(
            argv, capture_output=True, text=True, cwd=self.cwd, env=self.env, timeout=120
        )
        return Run(argv, done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Run:
        run = self.run(*args)
        assert run.rc == 0, run.evidence
        return run

    def fails(self, *args: str) -> Run:
        run = self.run(*args)
        assert run.rc != 0, run.evidence
        return run

    def json(self, *args: str) -> Any:
        return self.ok(*args, "-f", "json").json()

    def quota(self, action: str, project: str, *args: str, ok: bool = True) -> Run:
        """``coe quotas <action> --project-id <project> --resource Cluster ...``."""
        run = self.run("quotas", action, "--project-id", project, "--resource", "Cluster", *args)
        assert (run.rc == 0) == ok, run.evidence
        return run

    def poll(self, args: tuple[str, ...], until: Callable[[Run], bool]) -> Run:
        """Run ``coe <args>`` again and again until ``until`` holds for a result."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            run = self.run(*args)
            if until(run):
                return run
            assert time.monotonic() < deadline, f"gave up waiting\n{run.evidence}"
            time.sleep(0.3)

    def wait(self, cluster: str, until: Callable[[Run], bool]) -> Run:
        """Poll ``coe cluster show -f json`` until ``until`` holds for a result."""
        return self.poll(("cluster", "show", cluster, "-f", "json"), until)

    def settled(self, cluster: str) -> dict[str, Any]:
        """The cluster once its status is no longer ``*_IN_PROGRESS``."""
        return self._settled(("cluster", "show", cluster, "-f", "json"))

    def nodegroup_settled(self, cluster: str, nodegroup: str) -> dict[str, Any]:
        """The node group once its status is no longer ``*_IN_PROGRESS``."""
        return self._settled(("nodegroup", "show", cluster, nodegroup, "-f", "json"))

    def _settled(self, show: tuple[str, ...]) -> dict[str, Any]:
        run = self.poll(
            show, lambda r: r.rc == 0 and not r.json()["status"].endswith("_IN_PROGRESS")
        )
        shown: dict[str, Any] = run.json()
        return shown

    def gone(self, cluster: str) -> Run:
        return self.wait(cluster, lambda r: r.rc != 0 and "(HTTP 404)" in r.stderr)


def csr_pem(common_name: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def openstack_cli() -> Path:
    if not OPENSTACK.exists():
        pytest.fail(
            f"{OPENSTACK} is missing: run `make clients` to install Magnum's clients "
            "(python-openstackclient + python-magnumclient) into .venv-clients"
        )
    return OPENSTACK


@pytest.fixture(scope="module")
def noauth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("coe-noauth")) as server:
        yield server


@pytest.fixture(scope="module")
def coe(openstack_cli: Path, noauth_server: LiveServer) -> Coe:
    """The admin of project ``default`` (noauth), through keystoneauth's ``none`` plugin."""
    return Coe(
        openstack_cli,
        noauth_server.state.parent,
        noauth_server.url + "/v1",
        ["--os-auth-type", "none"],
    )


@pytest.fixture(scope="module")
def template(coe: Coe) -> Run:
    return coe.ok(
        "cluster", "template", "create", "ct-main", *TEMPLATE,
        "--flavor", "m1.small", "--master-flavor", "m1.tiny",
        "--labels", "role=main,tier=1", "--tags", "red,blue", "-f", "json",
    )  # fmt: skip


@pytest.fixture(scope="module")
def cluster(coe: Coe, template: Run) -> tuple[Run, dict[str, Any]]:
    """``c1``: one master, one worker, from ``ct-main``; created and settled."""
    created = coe.ok(
        "cluster", "create", "c1", "--cluster-template", "ct-main", "--node-count", "1",
        "--master-count", "1", "--labels", "extra=yes", "--merge-labels", "--timeout", "30",
    )  # fmt: skip
    return created, coe.settled("c1")


# --- cluster templates (noauth) ---------------------------------------------------


def test_template_create(coe: Coe, template: Run) -> None:
    assert template.stdout.startswith("Request to create cluster template ct-main accepted\n")
    shown = template.json()
    assert UUID.fullmatch(shown["uuid"])
    assert shown["name"] == "ct-main"
    assert shown["coe"] == "swarm-mode"
    assert shown["image_id"] == "fake-image"
    assert shown["cluster_distro"] == "fakeos"
    assert shown["external_network_id"] == "public"
    assert shown["flavor_id"] == "m1.small"
    assert shown["master_flavor_id"] == "m1.tiny"
    assert shown["labels"] == {"role": "main", "tier": "1"}
    assert sorted(shown["tags"].split(",")) == ["blue", "red"]
    # The client's defaults, sent in the body.
    assert shown["dns_nameserver"] == "8.8.8.8"
    assert shown["docker_storage_driver"] == "overlay2"
    assert shown["server_type"] == "vm"
    # Options not given go out as JSON null and come back as null ("-" in the CLI).
    assert shown["keypair_id"] == "-"
    assert shown["http_proxy"] == "-"
    assert shown["tls_disabled"] is False
    assert shown["floating_ip_enabled"] is True
    assert shown["project_id"] == "default"
    assert shown["driver"] == "fake_test_driver"


def test_template_create_without_master_flavor_is_refused(coe: Coe) -> None:
    """The client sends "master_flavor_id": null; with [cinder] default_boot_volume_size 0
    Magnum's root-disk rule looks that flavor up and finds no "None" (api.md 6.4)."""
    bare = ("--coe", "swarm-mode", "--image", "fake-image", "--external-network", "public")
    run = coe.fails("cluster", "template", "create", "ct-bare", *bare)
    assert run.message.startswith("Unable to find flavor None (HTTP 400)")
    assert run.response_title() == "Unable to find flavor None"
    booted = coe.json(
        "cluster", "template", "create", "ct-booted", *bare, "--labels", "boot_volume_size=10"
    )
    assert booted["master_flavor_id"] == "-"  # null
    assert booted["flavor_id"] == "m1.medium"  # the client's default


def test_template_create_refused(coe: Coe) -> None:
    run = coe.fails("cluster", "template", "create", "ct-bad", *TEMPLATE, "--flavor", "huge")
    assert run.message.startswith("Unable to find flavor huge (HTTP 400)")
    assert run.response_title() == "Unable to find flavor huge"
    for options, message in (
        (("--image", "nope"), "Image nope could not be found"),
        (("--external-network", "private"), "Unable to find external network private"),
        (
            ("--network-driver", "calico"),
            "Network driver type calico is not supported, expecting a docker/flannel/"
            "unspecified network driver",
        ),
        (
            ("--docker-storage-driver", "devicemapper", "--docker-volume-size", "2"),
            "docker volume size 2 GB is not valid, expecting minimum value 3GB for "
            "devicemapper storage driver",
        ),
    ):
        refused = coe.fails("cluster", "template", "create", "ct-bad", *TEMPLATE, *options)
        assert refused.message.startswith(f"{message} (HTTP 400)")


def test_template_list(coe: Coe, template: Run) -> None:
    listed = coe.json("cluster", "template", "list")
    by_name = {row["name"]: row for row in listed}
    assert by_name["ct-main"] == {
        "uuid": template.json()["uuid"],
        "name": "ct-main",
        "tags": template.json()["tags"],
    }
    wide = coe.json("cluster", "template", "list", "--fields", "coe,image_id,flavor_id")
    row = next(r for r in wide if r["name"] == "ct-main")
    assert (row["coe"], row["image_id"], row["flavor_id"]) == (
        "swarm-mode",
        "fake-image",
        "m1.small",
    )
    names = [r["name"] for r in listed]
    first = coe.json(
        "cluster", "template", "list", "--limit", "1", "--sort-key", "name", "--sort-dir", "desc"
    )
    assert [r["name"] for r in first] == [max(names)]


def test_template_show(coe: Coe, template: Run) -> None:
    created = template.json()
    by_name = coe.json("cluster", "template", "show", "ct-main")
    by_uuid = coe.json("cluster", "template", "show", created["uuid"])
    assert by_name == by_uuid
    assert "links" not in by_name
    for field in ("uuid", "name", "labels", "flavor_id", "tags", "project_id", "created_at"):
        assert by_name[field] == created[field], field
    missing = coe.fails("cluster", "template", "show", "no-such-template")
    assert missing.message.startswith(
        "ClusterTemplate no-such-template could not be found (HTTP 404)"
    )
    # Names are not unique; a name that matches two templates is refused with 409.
    # (Magnum's text is "Multiple ClusterTemplates exist with same name. Please use the
    # ClusterTemplate uuid instead."; Moorage names the name: only the status is checked.)
    twins = [coe.json("cluster", "template", "create", "ct-twin", *TEMPLATE) for _ in "ab"]
    ambiguous = coe.fails("cluster", "template", "show", "ct-twin")
    assert "exist with same name" in ambiguous.message
    assert "(HTTP 409)" in ambiguous.message
    for twin in twins:
        assert coe.json("cluster", "template", "show", twin["uuid"])["name"] == "ct-twin"


def test_template_update(coe: Coe) -> None:
    coe.ok("cluster", "template", "create", "ct-edit", *TEMPLATE, "--labels", "a=1,b=2")
    updated = coe.json(
        "cluster", "template", "update", "ct-edit", "--name", "ct-edited",
        "--docker-volume-size", "5", "--label", "c=3", "--no-label", "a",
        "--public", "--tag", "x", "--tag", "y",
    )  # fmt: skip
    assert updated["name"] == "ct-edited"
    assert updated["docker_volume_size"] == 5
    assert updated["labels"] == {"b": "2", "c": "3"}
    assert updated["public"] is True
    assert updated["tags"] == "x,y"
    assert updated["updated_at"] != "-"
    assert coe.json("cluster", "template", "show", "ct-edited") == updated
    nothing = coe.fails("cluster", "template", "update", "ct-edited")
    assert "Nothing to update." in nothing.stderr


def test_template_update_refused(coe: Coe, template: Run) -> None:
    run = coe.fails("cluster", "template", "update", "ct-main", "--flavor", "huge")
    assert run.message.startswith("Unable to find flavor huge (HTTP 400)")


def test_template_delete(coe: Coe) -> None:
    coe.ok("cluster", "template", "create", "ct-gone", *TEMPLATE)
    run = coe.ok("cluster", "template", "delete", "ct-gone", "no-such-template")
    # Each argument is tried; a failure is printed and the command goes on (rc 0).
    deleted, failed = run.stdout.splitlines()
    assert deleted == "Request to delete cluster template ct-gone has been accepted."
    assert failed.startswith(
        "Delete for cluster template no-such-template failed: "
        "ClusterTemplate no-such-template could not be found (HTTP 404)"
    )
    gone = coe.fails("cluster", "template", "show", "ct-gone")
    assert gone.message.startswith("ClusterTemplate ct-gone could not be found (HTTP 404)")


# --- read-only collections (noauth) -----------------------------------------------


def test_cluster_list_empty(coe: Coe) -> None:
    assert coe.json("cluster", "list") == []


def test_quotas_list_empty(coe: Coe) -> None:
    run = coe.ok("quotas", "list")
    assert run.stdout.splitlines()[1] == "| project_id | resource | hard_limit |"
    assert run.table() == []


def test_stats_list_empty(coe: Coe) -> None:
    assert coe.ok("stats", "list", "default").properties() == {"clusters": "0", "nodes": "0"}


def test_service_list(coe: Coe) -> None:
    services = coe.json("service", "list")
    assert len(services) == 1
    (service,) = services
    assert service["id"] == 1
    assert service["binary"] == "magnum-conductor"
    assert service["state"] == "up"
    assert service["disabled"] is False
    assert service["host"]


# --- clusters (noauth) ------------------------------------------------------------


def test_cluster_create(cluster: tuple[Run, dict[str, Any]]) -> None:
    created, settled = cluster
    match = re.fullmatch(r"Request to create cluster (\S+) accepted\n", created.stdout)
    assert match, created.evidence
    assert match[1] == settled["uuid"]
    assert settled["status"] == "CREATE_COMPLETE", settled


def test_cluster_create_refused(coe: Coe, template: Run) -> None:
    missing = coe.fails("cluster", "create", "cx", "--cluster-template", "no-such-template")
    assert missing.message.startswith(
        "ClusterTemplate no-such-template could not be found (HTTP 404)"
    )
    keypair = coe.fails(
        "cluster", "create", "cx", "--cluster-template", "ct-main", "--keypair", "k9"
    )
    assert keypair.message.startswith("Unable to find keypair k9 (HTTP 404)")
    three = coe.fails(
        "cluster", "create", "cx", "--cluster-template", "ct-main", "--master-count", "3"
    )
    assert three.message.startswith(
        "master_count must be 1 when master_lb_enabled is False (HTTP 400)"
    )


def test_cluster_create_options(coe: Coe, template: Run) -> None:
    """Optional create options reach the cluster; labels without --merge-labels replace."""
    coe.ok(
        "cluster", "create", "c-opts", "--cluster-template", "ct-main", "--master-count", "3",
        "--master-lb-enabled", "--floating-ip-disabled", "--docker-volume-size", "5",
        "--flavor", "m1.medium", "--master-flavor", "m1.small", "--labels", "a=1",
        "--discovery-url", "https://discovery.example/abc", "--node-count", "0",
    )  # fmt: skip
    shown = coe.settled("c-opts")
    assert shown["status"] == "CREATE_COMPLETE", shown
    assert (shown["master_count"], shown["node_count"]) == (3, 0)
    assert (shown["master_lb_enabled"], shown["floating_ip_enabled"]) == (True, False)
    assert shown["docker_volume_size"] == 5
    assert (shown["flavor_id"], shown["master_flavor_id"]) == ("m1.medium", "m1.small")
    assert shown["labels"] == {"a": "1"}
    assert shown["labels_added"] == {"a": "1"}
    assert shown["labels_skipped"] == {"role": "main", "tier": "1"}
    assert shown["discovery_url"] == "https://discovery.example/abc"
    assert len(shown["master_addresses"]) == 3
    coe.ok("cluster", "delete", "c-opts")
    coe.gone("c-opts")


def test_cluster_show(coe: Coe, cluster: tuple[Run, dict[str, Any]], template: Run) -> None:
    shown = coe.json("cluster", "show", "c1")
    by_uuid = coe.json("cluster", "show", shown["uuid"])
    # The health poller may update the cluster between the two calls.
    volatile = ("health_status", "health_status_reason", "updated_at")
    assert {k: v for k, v in by_uuid.items() if k not in volatile} == {
        k: v for k, v in shown.items() if k not in volatile
    }
    assert shown["name"] == "c1"
    assert shown["status"] == "CREATE_COMPLETE"
    assert shown["cluster_template_id"] == template.json()["uuid"]
    assert (shown["master_count"], shown["node_count"]) == (1, 1)
    assert shown["labels"] == {"role": "main", "tier": "1", "extra": "yes"}
    assert shown["labels_added"] == {"extra": "yes"}
    assert shown["labels_overridden"] == {}
    assert shown["labels_skipped"] == {}
    assert (shown["flavor_id"], shown["master_flavor_id"]) == ("m1.small", "m1.tiny")
    assert shown["create_timeout"] == 30
    assert shown["api_address"].startswith("tcp://127.0.0.1:")
    assert shown["coe_version"] == "fake-1.0"
    assert shown["cluster_id"] == f"fake-{shown['uuid'][:8]}"
    assert len(shown["master_addresses"]) == 1
    assert len(shown["node_addresses"]) == 1
    assert shown["project_id"] == "default"
    # Microversion 1.12 still calls the driver's id stack_id (cluster_id from 1.13).
    old = coe.at("1.12").ok("cluster", "show", "c1")
    assert "container-infra 1.12" in old.stderr
    assert old.response()["stack_id"] == shown["cluster_id"]
    assert "cluster_id" not in old.response()
    missing = coe.fails("cluster", "show", "no-such-cluster")
    assert missing.message.startswith("Cluster no-such-cluster could not be found (HTTP 404)")


def test_cluster_list(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    rows = coe.json("cluster", "list")
    assert rows == [
        {
            "uuid": cluster[1]["uuid"],
            "name": "c1",
            "keypair": None,
            "node_count": 1,
            "master_count": 1,
            "status": "CREATE_COMPLETE",
            "health_status": rows[0]["health_status"],
        }
    ]
    assert rows[0]["health_status"] in (None, "HEALTHY")
    first = coe.json("cluster", "list", "--limit", "1", "--sort-key", "name")
    assert [r["uuid"] for r in first] == [cluster[1]["uuid"]]
    bad = coe.fails("cluster", "list", "--sort-key", "nope")
    assert bad.message.startswith(
        'The sort_key value "nope" is an invalid field for sorting (HTTP 400)'
    )


def test_cluster_update(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("cluster", "update", "c1", "--node-count", "2")
    assert run.stdout == "Request to update cluster c1 has been accepted.\n"
    assert run.response() == {"uuid": cluster[1]["uuid"]}
    settled = coe.settled("c1")
    assert settled["status"] == "UPDATE_COMPLETE", settled
    assert settled["node_count"] == 2
    assert len(settled["node_addresses"]) == 2
    # --rollback is sent as PATCH /v1/clusters/c1/?rollback=True (slash before the query).
    rollback = coe.ok("cluster", "update", "c1", "--node-count", "2", "--rollback")
    assert (
        "PATCH http://" in rollback.stderr and "/v1/clusters/c1/?rollback=True" in rollback.stderr
    )
    assert rollback.stdout == "Request to update cluster c1 has been accepted.\n"
    assert coe.settled("c1")["status"] == "UPDATE_COMPLETE"


def test_cluster_update_refused(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.fails("cluster", "update", "c1", "--name", "other")
    assert run.message.startswith("cannot change cluster property(ies) name (HTTP 400)")
    assert run.response_title() == "cannot change cluster property(ies) name"


def test_cluster_resize(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("cluster", "resize", "c1", "1")
    assert run.stdout == "Request to resize cluster c1 has been accepted.\n"
    assert run.response() == {"uuid": cluster[1]["uuid"]}
    settled = coe.settled("c1")
    assert settled["status"] == "UPDATE_COMPLETE", settled
    assert settled["node_count"] == 1


def test_template_delete_in_use(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("cluster", "template", "delete", "ct-main")
    assert run.stdout.startswith(
        "Delete for cluster template ct-main failed: "
        "ClusterTemplate ct-main is referenced by one or multiple clusters (HTTP 400)"
    ), run.evidence
    update = coe.fails("cluster", "template", "update", "ct-main", "--docker-volume-size", "9")
    assert update.message.startswith(
        "ClusterTemplate ct-main is referenced by one or multiple clusters (HTTP 400)"
    )
    # Tags (like the name, public and hidden) may still change (api.md 6.7).
    tagged = coe.json("cluster", "template", "update", "ct-main", "--tag", "in-use")
    assert tagged["tags"] == "in-use"


def test_cluster_upgrade(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    target = coe.json(
        "cluster", "template", "create", "ct-next", *TEMPLATE,
        "--flavor", "m1.small", "--master-flavor", "m1.tiny", "--labels", "role=next",
    )  # fmt: skip
    run = coe.ok("cluster", "upgrade", "c1", "ct-next")
    assert run.stdout == "Request to upgrade cluster c1 has been accepted.\n"
    assert run.response() == {"uuid": cluster[1]["uuid"]}
    settled = coe.settled("c1")
    assert settled["status"] == "UPDATE_COMPLETE", settled
    assert settled["cluster_template_id"] == target["uuid"]


# --- nodegroups (noauth) ----------------------------------------------------------


def test_nodegroup_create(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok(
        "nodegroup", "create", "c1", "ng-extra", "--node-count", "2", "--min-nodes", "1",
        "--max-nodes", "4", "--flavor", "m1.tiny", "--labels", "pool=extra",
        "--node-labels", "disk=ssd,zone=a", "--node-taints", "gpu=yes:NoSchedule,spot:NoExecute",
    )  # fmt: skip
    match = re.fullmatch(r"Request to create nodegroup (\S+) accepted\n", run.stdout)
    assert match and UUID.fullmatch(match[1]), run.evidence
    shown = coe.nodegroup_settled("c1", "ng-extra")
    assert shown["uuid"] == match[1]
    assert shown["status"] == "CREATE_COMPLETE", shown
    assert coe.settled("c1")["node_count"] == 3  # 1 default worker + 2
    again = coe.fails("nodegroup", "create", "c1", "ng-extra")
    assert again.message.startswith(
        "A node group with name ng-extra already exists in the cluster c1 (HTTP 409)"
    )
    small = coe.fails("nodegroup", "create", "c1", "ng-small", "--min-nodes", "3")
    assert small.message.startswith(
        "min_node_count for ng-small is invalid (min_node_count (3) should be less or equal "
        "to node_count (1)) (HTTP 409)"
    )


def test_nodegroup_list(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    rows = coe.json("nodegroup", "list", "c1")
    assert [(r["name"], r["role"], r["node_count"]) for r in rows] == [
        ("default-master", "master", 1),
        ("default-worker", "worker", 1),
        ("ng-extra", "worker", 2),
    ]
    assert set(rows[0]) == {"uuid", "name", "flavor_id", "image_id", "node_count", "status", "role"}
    assert rows[2]["flavor_id"] == "m1.tiny"
    masters = coe.json("nodegroup", "list", "c1", "--role", "master")
    assert [r["name"] for r in masters] == ["default-master"]


def test_nodegroup_show(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    shown = coe.json("nodegroup", "show", "c1", "ng-extra")
    assert shown["name"] == "ng-extra"
    assert shown["cluster_id"] == cluster[1]["uuid"]
    assert shown["project_id"] == "default"
    assert shown["role"] == "worker"
    assert (shown["min_node_count"], shown["node_count"], shown["max_node_count"]) == (1, 2, 4)
    assert shown["is_default"] is False
    assert shown["labels"]["pool"] == "extra"
    assert shown["node_labels"] == {"disk": "ssd", "zone": "a"}
    assert shown["node_taints"] == [
        {"key": "gpu", "value": "yes", "effect": "NoSchedule"},
        {"key": "spot", "value": "", "effect": "NoExecute"},
    ]
    assert len(shown["node_addresses"]) == 2
    assert coe.json("nodegroup", "show", "c1", shown["uuid"]) == shown
    worker = coe.json("nodegroup", "show", "c1", "default-worker")
    assert worker["is_default"] is True
    missing = coe.fails("nodegroup", "show", "c1", "ng-nope")
    assert missing.message.startswith("Nodegroup ng-nope could not be found (HTTP 404)")


def test_nodegroup_update(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("nodegroup", "update", "c1", "ng-extra", "--min-nodes", "0", "--max-nodes", "5")
    assert run.stdout == "Request to update nodegroup ng-extra has been accepted.\n"
    shown = coe.json("nodegroup", "show", "c1", "ng-extra")
    assert (shown["min_node_count"], shown["max_node_count"]) == (0, 5)
    # Node labels and taints go out as the Python repr of a dict/list (a string).
    coe.ok(
        "nodegroup", "update", "c1", "ng-extra", "--node-labels", "disk=hdd", "--node-taints", ""
    )
    shown = coe.nodegroup_settled("c1", "ng-extra")
    assert (shown["node_labels"], shown["node_taints"]) == ({"disk": "hdd"}, [])
    bad = coe.fails("nodegroup", "update", "c1", "ng-extra", "--max-nodes", "1")
    assert bad.message.startswith(
        "max_node_count for ng-extra is invalid (node_count (2) should be less or equal "
        "to max_node_count (1)) (HTTP 409)"
    )


def test_cluster_resize_nodegroup(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("cluster", "resize", "c1", "3", "--nodegroup", "ng-extra")
    assert run.stdout == "Request to resize cluster c1 has been accepted.\n"
    assert coe.settled("c1")["node_count"] == 4  # 1 default worker + 3
    assert coe.json("nodegroup", "show", "c1", "ng-extra")["node_count"] == 3
    wide = coe.fails("cluster", "resize", "c1", "9", "--nodegroup", "ng-extra")
    assert wide.message.startswith(
        "Resizing ng-extra outside the allowed range: min_node_count = 0, max_node_count = 5 "
        "(HTTP 400)"
    )
    master = coe.fails("cluster", "resize", "c1", "3", "--nodegroup", "default-master")
    assert master.message.startswith(
        "Resizing the master nodegroup is not supported by this driver (HTTP 400)"
    )


def test_cluster_upgrade_nodegroup(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    """A non-default nodegroup only "upgrades" to the cluster's own template (409)."""
    run = coe.fails("cluster", "upgrade", "c1", "ct-main", "--nodegroup", "ng-extra")
    assert run.message.startswith(
        "Cluster Template is not valid for upgrade: Nodegroup ng-extra can be upgraded only "
        "to match cluster's template (ct-next) (HTTP 409)"
    )
    same = coe.ok("cluster", "upgrade", "c1", "ct-next", "--nodegroup", "ng-extra")
    assert same.stdout == "Request to upgrade cluster c1 has been accepted.\n"
    assert coe.settled("c1")["status"] == "UPDATE_COMPLETE"


def test_nodegroup_delete(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    refused = coe.fails("nodegroup", "delete", "c1", "default-worker")
    assert refused.message.startswith("Deleting a default nodegroup is not supported (HTTP 400)")
    run = coe.ok("nodegroup", "delete", "c1", "ng-extra")
    assert run.stdout == "Request to delete nodegroup ng-extra has been accepted.\n"
    shown = coe.poll(("nodegroup", "show", "c1", "ng-extra"), lambda r: r.rc != 0)
    assert shown.message.startswith("Nodegroup ng-extra could not be found (HTTP 404)")
    assert coe.settled("c1")["node_count"] == 1


# --- certificates, credentials (noauth) -------------------------------------------


def test_ca_show(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("ca", "show", "c1")
    ca = x509.load_pem_x509_certificate(run.stdout.encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert coe.ok("ca", "show", cluster[1]["uuid"]).stdout == run.stdout


def test_ca_sign(coe: Coe, cluster: tuple[Run, dict[str, Any]], tmp_path: Path) -> None:
    csr = tmp_path / "client.csr"
    csr.write_text(csr_pem("admin"))
    run = coe.ok("ca", "sign", "c1", str(csr))
    cert = x509.load_pem_x509_certificate(run.stdout.encode())
    ca = x509.load_pem_x509_certificate(coe.ok("ca", "show", "c1").stdout.encode())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    bad = tmp_path / "bad.csr"
    bad.write_text("not a csr")
    refused = coe.fails("ca", "sign", "c1", str(bad))
    assert refused.message.startswith("Received invalid csr")


def test_cluster_config(coe: Coe, cluster: tuple[Run, dict[str, Any]], tmp_path: Path) -> None:
    run = coe.ok("cluster", "config", "c1", "--dir", str(tmp_path), "--output-certs")
    assert run.stdout == (
        f"export DOCKER_HOST={cluster[1]['api_address']}\n"
        f"export DOCKER_CERT_PATH={tmp_path}\n"
        "export DOCKER_TLS_VERIFY=True\n\n"
    )
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    cert.verify_directly_issued_by(ca)
    serialization.load_pem_private_key((tmp_path / "key.pem").read_bytes(), None)


def test_ca_rotate(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    before = coe.ok("ca", "show", "c1").stdout
    run = coe.ok("ca", "rotate", "c1")
    assert run.stdout == (
        f"Request to rotate the CA certificate for cluster {cluster[1]['uuid']} "
        "has been accepted.\n"
    )
    settled = coe.settled("c1")
    assert settled["status"] == "UPDATE_COMPLETE", settled
    after = coe.ok("ca", "show", "c1").stdout
    assert after != before
    x509.load_pem_x509_certificate(after.encode())


def test_credential_rotate(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    # The command prints the failure itself and exits 0.
    run = coe.ok("credential", "rotate", "c1")
    assert run.stdout.startswith(
        "Credential rotation failed: Credential rotation is not supported by driver (HTTP 400)"
    ), run.evidence
    assert run.response_title() == "Credential rotation is not supported by driver"


# --- stats, quotas (noauth) -------------------------------------------------------


def test_stats_list(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    shown = coe.settled("c1")
    nodes = shown["master_count"] + shown["node_count"]
    assert coe.ok("stats", "list", "default").properties() == {
        "clusters": "1",
        "nodes": str(nodes),
    }
    assert coe.ok("stats", "list", "elsewhere").properties() == {"clusters": "0", "nodes": "0"}


def test_quotas_create(coe: Coe) -> None:
    # Magnum asks Keystone whether the project exists (404 "The project_id <p> could not
    # be found."); without Keystone there is no project registry and any id is accepted.
    run = coe.quota("create", "proj-q", "--hard-limit", "5")
    shown = run.properties()
    assert (shown["project_id"], shown["resource"], shown["hard_limit"]) == (
        "proj-q",
        "Cluster",
        "5",
    )
    assert shown["id"].isdigit()
    # The command prints a failure itself and exits 0.
    again = coe.quota("create", "proj-q")
    assert again.stdout.startswith(
        "Create quota for project_id proj-q resource Cluster failed: "
        "Quota for project proj-q already exists for resource Cluster (HTTP 409)"
    ), again.evidence


def test_quotas_show(coe: Coe) -> None:
    shown = coe.quota("show", "proj-q")
    assert shown.properties()["hard_limit"] == "5"
    default = coe.quota("show", "proj-none")
    assert default.properties() == {
        "project_id": "proj-none",
        "resource": "Cluster",
        "hard_limit": "20",
    }


def test_quotas_update(coe: Coe) -> None:
    run = coe.quota("update", "proj-q", "--hard-limit", "10")
    assert run.properties()["hard_limit"] == "10"
    shown = coe.quota("show", "proj-q")
    assert shown.properties()["hard_limit"] == "10"
    missing = coe.quota("update", "proj-none")
    assert missing.stdout.startswith(
        "Update quota for project_id proj-none resource Cluster failed: "
        "Quota could not be found: project_id proj-none resource Cluster (HTTP 404)"
    ), missing.evidence


def test_quotas_list(coe: Coe) -> None:
    own = coe.ok("quotas", "list")
    assert [r["project_id"] for r in own.table()] == []  # admin's own project has none
    every = coe.ok("quotas", "list", "--all-tenants").table()
    assert {"project_id": "proj-q", "resource": "Cluster", "hard_limit": "10"} in every


def test_quota_enforced_on_cluster_create(
    coe: Coe, cluster: tuple[Run, dict[str, Any]], template: Run
) -> None:
    coe.quota("create", "default")
    refused = coe.fails("cluster", "create", "c2", "--cluster-template", "ct-main")
    assert refused.message.startswith(
        "Resource limit exceeded: You have reached the maximum clusters per project, 1 (HTTP 403)"
    )
    coe.quota("delete", "default")


def test_quotas_delete(coe: Coe) -> None:
    run = coe.quota("delete", "proj-q")
    assert run.stdout == (
        "Request to delete quota for project id proj-q and resource Cluster has been accepted.\n"
    )
    again = coe.quota("delete", "proj-q")
    assert again.stdout.startswith(
        "Quota delete failed for project id proj-q and resource Cluster :"
        "Quota could not be found: project_id proj-q resource Cluster (HTTP 404)"
    ), again.evidence
    shown = coe.quota("show", "proj-q")
    assert shown.properties()["hard_limit"] == "20"


def test_cluster_config_kubernetes(coe: Coe, tmp_path: Path) -> None:
    """A kubeconfig with the cluster CA and an admin client certificate signed by it."""
    coe.ok("cluster", "template", "create", "ct-k8s", *TEMPLATE[2:], "--coe", "kubernetes")
    coe.ok("cluster", "create", "k8s", "--cluster-template", "ct-k8s")
    cluster = coe.settled("k8s")
    assert cluster["status"] == "CREATE_COMPLETE", cluster
    run = coe.ok("cluster", "config", "k8s", "--dir", str(tmp_path))
    assert run.stdout == f"export KUBECONFIG={tmp_path}/config\n\n"
    config = yaml.safe_load((tmp_path / "config").read_text())
    (entry,) = config["clusters"]
    assert entry["cluster"]["server"] == cluster["api_address"]
    ca_pem = base64.b64decode(entry["cluster"]["certificate-authority-data"])
    assert ca_pem.decode().strip() == coe.ok("ca", "show", "k8s").stdout.strip()
    (user,) = config["users"]
    cert = x509.load_pem_x509_certificate(base64.b64decode(user["user"]["client-certificate-data"]))
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    subject = {a.oid: a.value for a in cert.subject}
    assert subject == {NameOID.COMMON_NAME: "admin", NameOID.ORGANIZATION_NAME: "system:masters"}
    # --use-keystone works against Moorage, but the kubeconfig it writes hands the
    # cluster $OS_TOKEN, a Keystone token: using it needs Keystone (Keystone issue).
    keystone = tmp_path / "keystone"
    keystone.mkdir()
    coe.ok("cluster", "config", "k8s", "--dir", str(keystone), "--use-keystone")
    assert "OS_TOKEN" in (keystone / "config").read_text()
    coe.ok("cluster", "delete", "k8s")
    coe.gone("k8s")


# --- microversions (noauth) -------------------------------------------------------


def test_microversion_option(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    """``--os-container-infra-api-version X.Y`` is sent as is (``1`` sends ``latest``)."""
    assert "container-infra latest" in coe.ok("cluster", "list").stderr
    below = coe.at("1.8").fails("nodegroup", "list", "c1")
    assert "container-infra 1.8" in below.stderr
    assert below.message.startswith("Not Acceptable (HTTP 406)")
    assert [r["name"] for r in coe.at("1.9").json("nodegroup", "list", "c1")][:2] == [
        "default-master",
        "default-worker",
    ]
    unknown = coe.at("1.99").fails("cluster", "list")
    assert unknown.message.startswith("Requested microversion is unsupported (HTTP 406)")
    # Below 1.10 a worker count of 0 and an unknown template are 400s.
    zero = coe.at("1.9").fails("cluster", "create", "cz", "--cluster-template", "ct-main",
                               "--node-count", "0")  # fmt: skip
    assert zero.message.startswith(
        "Resizing a nodegroup to zero is not supported in the provided microversion (HTTP 400)"
    )
    unknown_ct = coe.at("1.9").fails("cluster", "create", "cz", "--cluster-template", "nope")
    assert unknown_ct.message.startswith("ClusterTemplate nope could not be found (HTTP 400)")
    upgrade = coe.at("1.7").fails("cluster", "upgrade", "c1", "ct-next")
    assert upgrade.message.startswith(
        "Cluster upgrade is not supported in the provided microversion (HTTP 400)"
    )
    rollback = coe.at("1.2").fails("cluster", "update", "c1", "--node-count", "1", "--rollback")
    assert rollback.message.startswith('Unknown argument: "rollback" (HTTP 400)')
    # Credential rotation needs 1.12; the client prints the failure and exits 0.
    rotate = coe.at("1.11").ok("credential", "rotate", "c1")
    assert rotate.stdout.startswith("Credential rotation failed: Not Acceptable (HTTP 406)")


# --- cluster delete (noauth; last, the cluster is gone after it) -------------------


def test_cluster_delete(coe: Coe, cluster: tuple[Run, dict[str, Any]]) -> None:
    run = coe.ok("cluster", "delete", "c1")
    assert run.stdout == "Request to delete cluster c1 has been accepted.\n"
    gone = coe.gone("c1")
    assert gone.message.startswith("Cluster c1 could not be found (HTTP 404)")
    assert coe.json("cluster", "list") == []
    missing = coe.fails("cluster", "delete", "c1")
    assert missing.message.startswith("Cluster c1 could not be found (HTTP 404)")


# --- http_basic: two projects and an admin ----------------------------------------

PAGE = 2
USERS = {
    "alice": ("alice-secret", "project-a", "member"),
    "bob": ("bob-secret", "project-b", "member"),
    "root": ("root-secret", "ops", "admin"),
    "carol": ("carol-secret", "project-a", "member"),
    "dave": ("dave-secret", "project-a", "reader"),
}


@pytest.fixture(scope="module")
def basic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("coe-basic")
    htpasswd, users = tmp / "htpasswd", tmp / "users.yaml"
    hashes = {
        name: bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()
        for name, (pw, _, _) in USERS.items()
    }
    # bob's hash with the $2y$ prefix `htpasswd -B` writes.
    hashes["bob"] = hashes["bob"].replace("$2b$", "$2y$", 1)
    htpasswd.write_text("".join(f"{name}:{digest}\n" for name, digest in hashes.items()))
    users.write_text(
        "users:\n"
        + "".join(
            f"  {name}: {{project_id: {project}, roles: [{role}]}}\n"
            for name, (_, project, role) in USERS.items()
        )
    )
    # A small page size makes the client follow `next` links (test_basic_paging).
    config = (
        "auth_strategy = http_basic\n"
        f"[http_basic]\nauth_file = {htpasswd}\nprojects_file = {users}\n"
        f"[api]\nmax_limit = {PAGE}\n"
    )
    with serve(tmp, extra_config=config) as server:
        yield server


def basic_user(cli: Path, server: LiveServer, name: str, password: str) -> Coe:
    """One user through keystoneauth's ``http_basic`` plugin."""
    auth = ["--os-auth-type", "http_basic", "--os-username", name, "--os-password", password]
    return Coe(cli, server.state.parent, server.url + "/v1", auth)


@pytest.fixture(scope="module")
def alice(openstack_cli: Path, basic_server: LiveServer) -> Coe:
    return basic_user(openstack_cli, basic_server, "alice", USERS["alice"][0])


@pytest.fixture(scope="module")
def bob(openstack_cli: Path, basic_server: LiveServer) -> Coe:
    return basic_user(openstack_cli, basic_server, "bob", USERS["bob"][0])


@pytest.fixture(scope="module")
def root(openstack_cli: Path, basic_server: LiveServer) -> Coe:
    return basic_user(openstack_cli, basic_server, "root", USERS["root"][0])


@pytest.fixture(scope="module")
def alice_cluster(alice: Coe) -> dict[str, Any]:
    alice.ok("cluster", "template", "create", "ct-alice", *TEMPLATE)
    run = alice.ok("cluster", "create", "alice-c1", "--cluster-template", "ct-alice")
    assert run.stdout.startswith("Request to create cluster "), run.evidence
    settled = alice.settled("alice-c1")
    assert settled["status"] == "CREATE_COMPLETE", settled
    return settled


def test_basic_wrong_password(openstack_cli: Path, basic_server: LiveServer) -> None:
    intruder = basic_user(openstack_cli, basic_server, "alice", "wrong")
    run = intruder.fails("cluster", "template", "list")
    assert run.message.startswith("The request you have made requires authentication (HTTP 401)")
    assert run.response_title() == "The request you have made requires authentication"
    anonymous = Coe(
        openstack_cli, basic_server.state.parent, basic_server.url + "/v1",
        ["--os-auth-type", "none"],
    )  # fmt: skip
    assert anonymous.fails("cluster", "template", "list").message.startswith(
        "The request you have made requires authentication (HTTP 401)"
    )


def test_basic_template_is_private(alice: Coe, bob: Coe) -> None:
    made = alice.json("cluster", "template", "create", "ct-private", *TEMPLATE)
    assert made["project_id"] == "project-a"
    for user, visible in ((alice, True), (bob, False)):
        listed = user.json("cluster", "template", "list", "--limit", "100")
        assert ("ct-private" in [r["name"] for r in listed]) is visible
    for ident in ("ct-private", made["uuid"]):
        run = bob.fails("cluster", "template", "show", ident)
        # The client prints errors[0].title of Moorage's error body.
        assert run.message.startswith(f"ClusterTemplate {ident} could not be found (HTTP 404)")
        assert run.response_title() == f"ClusterTemplate {ident} could not be found"


def test_basic_cluster_is_private(
    alice: Coe, bob: Coe, root: Coe, alice_cluster: dict[str, Any]
) -> None:
    assert alice_cluster["project_id"] == "project-a"
    assert [r["name"] for r in alice.json("cluster", "list")] == ["alice-c1"]
    assert bob.json("cluster", "list") == []
    for ident in ("alice-c1", alice_cluster["uuid"]):
        run = bob.fails("cluster", "show", ident)
        assert run.message.startswith(f"Cluster {ident} could not be found (HTTP 404)")
        assert run.response_title() == f"Cluster {ident} could not be found"
    for args in (
        ("cluster", "delete", "alice-c1"),
        ("cluster", "update", "alice-c1", "--node-count", "3"),
    ):
        assert bob.fails(*args).message.startswith("Cluster alice-c1 could not be found (HTTP 404)")
    # An admin sees every project's clusters.
    assert "alice-c1" in [r["name"] for r in root.json("cluster", "list")]
    assert root.json("cluster", "show", alice_cluster["uuid"])["project_id"] == "project-a"


def test_basic_ca_is_private(alice: Coe, bob: Coe, alice_cluster: dict[str, Any]) -> None:
    assert alice.ok("ca", "show", "alice-c1").stdout.startswith("-----BEGIN CERTIFICATE-----")
    run = bob.fails("ca", "show", alice_cluster["uuid"])
    assert run.message.startswith(f"Cluster {alice_cluster['uuid']} could not be found (HTTP 404)")


def test_basic_stats(alice: Coe, bob: Coe, alice_cluster: dict[str, Any]) -> None:
    assert alice.ok("stats", "list", "project-a").properties() == {"clusters": "1", "nodes": "2"}
    assert bob.ok("stats", "list", "project-b").properties() == {"clusters": "0", "nodes": "0"}
    run = bob.fails("stats", "list", "project-a")
    assert run.message.startswith("Not authorized (HTTP 403)")


def test_basic_service_list_is_for_admins(alice: Coe, root: Coe) -> None:
    run = alice.fails("service", "list")
    assert run.message.startswith(
        "Policy doesn't allow magnum-service:get_all to be performed (HTTP 403)"
    )
    assert [s["binary"] for s in root.json("service", "list")] == ["magnum-conductor"]


def test_basic_quotas_are_for_admins(alice: Coe, root: Coe) -> None:
    run = alice.quota("create", "project-a")
    assert run.stdout.startswith(
        "Create quota for project_id project-a resource Cluster failed: "
        "Policy doesn't allow quota:create to be performed (HTTP 403)"
    ), run.evidence
    made = root.quota("create", "project-a", "--hard-limit", "7")
    assert made.properties()["hard_limit"] == "7"
    own = alice.quota("show", "project-a")
    assert own.properties()["hard_limit"] == "7"
    other = alice.quota("show", "project-b", ok=False)
    assert other.message.startswith("Not authorized (HTTP 403)")
    listed = alice.fails("quotas", "list")
    assert listed.message.startswith(
        "Policy doesn't allow quota:get_all to be performed (HTTP 403)"
    )


def test_basic_publishing_is_for_admins(alice: Coe, root: Coe) -> None:
    run = alice.fails("cluster", "template", "create", "ct-pub", *TEMPLATE, "--public")
    assert run.message.startswith(
        "Not authorized to set public or hidden flag for cluster template (HTTP 403)"
    )
    made = root.json("cluster", "template", "create", "ct-pub", *TEMPLATE, "--public")
    assert made["public"] is True
    listed = alice.json("cluster", "template", "list", "--limit", "100")
    assert "ct-pub" in [r["name"] for r in listed]
    edit = alice.fails("cluster", "template", "update", "ct-pub", "--name", "mine")
    assert edit.message.startswith("Policy doesn't allow clustertemplate:update to be performed")
    # A public but hidden template: admins see it, other projects do not.
    root.ok("cluster", "template", "create", "ct-hidden", *TEMPLATE, "--public", "--hidden")
    listed = alice.json("cluster", "template", "list", "--limit", "100")
    assert "ct-hidden" not in [r["name"] for r in listed]
    hidden = alice.fails("cluster", "template", "show", "ct-hidden")
    assert hidden.message.startswith("ClusterTemplate ct-hidden could not be found (HTTP 404)")
    assert root.json("cluster", "template", "show", "ct-hidden")["hidden"] is True


def test_basic_admin_scope(root: Coe, alice: Coe, alice_cluster: dict[str, Any]) -> None:
    """Admins reach other projects' clusters for show/list/update/upgrade/delete and
    nodegroup reads, not resize, certificates or nodegroup changes (api.md 7.3)."""
    uuid = alice_cluster["uuid"]
    for args, ident in (
        (("nodegroup", "create", "alice-c1", "ng-root"), "alice-c1"),
        (("nodegroup", "update", "alice-c1", "default-worker", "--max-nodes", "5"), "alice-c1"),
        (("cluster", "resize", "alice-c1", "2"), uuid),
        (("ca", "show", "alice-c1"), uuid),
        (("ca", "rotate", "alice-c1"), uuid),
    ):
        run = root.fails(*args)
        assert run.message.startswith(f"Cluster {ident} could not be found (HTTP 404)")
    csr = root.cwd / "root.csr"
    csr.write_text(csr_pem("root"))
    sign = root.fails("ca", "sign", "alice-c1", str(csr))  # an unknown cluster_uuid: 400
    assert sign.message.startswith(f"Cluster {uuid} could not be found (HTTP 400)")
    rotate = root.ok("credential", "rotate", "alice-c1")  # prints the failure, exits 0
    assert rotate.stdout.startswith(
        "Credential rotation failed: Cluster alice-c1 could not be found (HTTP 404)"
    )
    groups = root.json("nodegroup", "list", "alice-c1")
    assert [g["name"] for g in groups] == ["default-master", "default-worker"]
    assert root.json("nodegroup", "show", "alice-c1", "default-worker")["role"] == "worker"
    run = root.ok("cluster", "update", "alice-c1", "--node-count", "2")
    assert run.stdout == "Request to update cluster alice-c1 has been accepted.\n"
    settled = root.settled(uuid)
    assert (settled["status"], settled["node_count"]) == ("UPDATE_COMPLETE", 2)
    # Admins delete other projects' templates (api.md 6.8).
    alice.ok("cluster", "template", "create", "ct-alice-gone", *TEMPLATE)
    deleted = root.ok("cluster", "template", "delete", "ct-alice-gone")
    assert deleted.stdout == "Request to delete cluster template ct-alice-gone has been accepted.\n"
    gone = alice.fails("cluster", "template", "show", "ct-alice-gone")
    assert gone.message.startswith("ClusterTemplate ct-alice-gone could not be found (HTTP 404)")


def test_basic_paging(root: Coe, alice: Coe, alice_cluster: dict[str, Any]) -> None:
    """With ``[api] max_limit = 2`` the client follows ``next`` until it has --limit items."""
    for name in ("ct-r1", "ct-r2", "ct-r3"):
        root.ok("cluster", "template", "create", name, *TEMPLATE)
    one_page = root.json("cluster", "template", "list")
    assert len(one_page) == PAGE
    every = root.json("cluster", "template", "list", "--limit", "100", "--sort-key", "name")
    names = [r["name"] for r in every]
    assert len(names) >= 3 + PAGE and names == sorted(names)
    three = root.json("cluster", "template", "list", "--limit", "3", "--sort-key", "name")
    assert [r["name"] for r in three] == names[:3]
    # Nodegroup `next` links (clusters/<uuid>/nodegroups?...) are followed the same way.
    alice.ok("nodegroup", "create", "alice-c1", "ng-a")
    alice.poll(
        ("nodegroup", "show", "alice-c1", "ng-a", "-f", "json"),
        lambda r: r.rc == 0 and r.json()["status"] == "CREATE_COMPLETE",
    )
    assert len(alice.json("nodegroup", "list", "alice-c1")) == PAGE
    groups = alice.json("nodegroup", "list", "alice-c1", "--limit", "3")
    assert [g["name"] for g in groups] == ["default-master", "default-worker", "ng-a"]


def test_basic_admin_cannot_patch_private_template(alice: Coe, root: Coe) -> None:
    alice.ok("cluster", "template", "create", "ct-alice-private", *TEMPLATE)
    run = root.run("cluster", "template", "update", "ct-alice-private", "--docker-volume-size", "4")
    assert run.rc != 0, run.evidence
    assert run.message.startswith("ClusterTemplate ct-alice-private could not be found (HTTP 404)")


def test_basic_roles(
    openstack_cli: Path, basic_server: LiveServer, alice_cluster: dict[str, Any]
) -> None:
    """Project roles through the CLI: a reader reads; only the creator gets the CA."""
    carol = basic_user(openstack_cli, basic_server, "carol", USERS["carol"][0])
    dave = basic_user(openstack_cli, basic_server, "dave", USERS["dave"][0])
    assert dave.json("cluster", "show", "alice-c1")["uuid"] == alice_cluster["uuid"]
    for args, action in (
        (("cluster", "create", "dave-c1", "--cluster-template", "ct-alice"), "cluster:create"),
        (("cluster", "delete", "alice-c1"), "cluster:delete"),
    ):
        refused = dave.fails(*args)
        assert refused.message.startswith(f"Policy doesn't allow {action} to be performed")
    # certificate:get: admin, or the user who created the cluster (another member: 403).
    other = carol.fails("ca", "show", "alice-c1")
    assert other.message.startswith("Policy doesn't allow certificate:get to be performed")


def test_basic_quota_paging(root: Coe) -> None:
    for project in ("proj-x", "proj-y"):
        root.quota("create", project)
    first_page = root.ok("quotas", "list", "--all-tenants").table()
    assert len(first_page) == PAGE
    # The first page (all projects), then `next` without all_tenants: in Magnum the
    # marker is found and the second page holds the caller's own project's quotas.
    run = root.run("quotas", "list", "--all-tenants", "--limit", "3")
    assert run.rc == 0, run.evidence
    assert run.table()[:PAGE] == first_page
