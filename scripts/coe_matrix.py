#!/usr/bin/env python3
"""Which ``openstack coe`` commands work against Moorage: writes docs/coe-commands.md.

Runs tests/real/test_magnum_client.py (Magnum's own CLI from .venv-clients against
a real ``moorage serve`` with the test driver, ``make clients`` first) and turns
the outcome of the tests that exercise each command into one table row. A command
passes when every test listed for it passed; an expected failure (a Moorage bug
being tracked) or a failure shows as "no" with the reason.

Usage: .venv/bin/python scripts/coe_matrix.py [--output docs/coe-commands.md]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "tests/real/test_magnum_client.py"
CLIENTS_PYTHON = ROOT / ".venv-clients" / "bin" / "python"

# (command, tests of MODULE that exercise and check it, note)
COMMANDS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "--os-auth-type none --os-endpoint URL/v1",
        ("test_template_create", "test_template_list"),
        "keystoneauth's `none` plugin against `auth_strategy = noauth`",
    ),
    (
        "--os-auth-type http_basic --os-username U --os-password P --os-endpoint URL/v1",
        ("test_basic_wrong_password", "test_basic_template_is_private"),
        "keystoneauth's `http_basic` plugin against `auth_strategy = http_basic`; "
        "a wrong password prints the 401 title",
    ),
    (
        "--os-container-infra-api-version X.Y",
        ("test_microversion_option", "test_cluster_show"),
        "default `1` sends `latest`; 1.12 shows `stack_id`; routes below their version: 406; "
        "per-version rules (0 workers, unknown template, upgrade at 1.7, rollback at 1.2)",
    ),
    (
        "coe cluster template create",
        (
            "test_template_create",
            "test_template_create_without_optional_flavor",
            "test_template_create_refused",
        ),
        "prints `Request to create cluster template <name> accepted`; nulls for options "
        "not given are accepted",
    ),
    (
        "coe cluster template list",
        ("test_template_list", "test_basic_paging"),
        "`--fields`, `--limit`, sorting; the client follows `next` past `[api] max_limit`",
    ),
    ("coe cluster template show", ("test_template_show",), "by name and uuid; 404 title"),
    (
        "coe cluster template update",
        (
            "test_template_update",
            "test_template_update_refused",
            "test_template_delete_in_use",
            "test_basic_publishing_is_for_admins",
            "test_basic_admin_cannot_patch_private_template",
        ),
        "named options (rename, labels, tags, public); refused while a cluster uses it; "
        "`--public` is for admins",
    ),
    (
        "coe cluster template delete",
        ("test_template_delete", "test_template_delete_in_use", "test_basic_admin_scope"),
        "the client prints per-item failures and exits 0",
    ),
    (
        "coe cluster create",
        ("test_cluster_create", "test_cluster_create_options", "test_cluster_create_refused"),
        "prints `Request to create cluster <uuid> accepted`; a template without a master "
        "flavor is refused (`Unable to find flavor None`, as Magnum with boot volume size 0)",
    ),
    (
        "coe cluster list",
        ("test_cluster_list_empty", "test_cluster_list"),
        "`--limit`, `--sort-key` (unknown key: 400)",
    ),
    ("coe cluster show", ("test_cluster_show",), "shows `cluster_id` (microversion 1.13+)"),
    (
        "coe cluster update",
        ("test_cluster_update", "test_cluster_update_refused", "test_basic_admin_scope"),
        "`--node-count`, `--rollback` (`?rollback=True` after a slash); other fields refused",
    ),
    (
        "coe cluster resize",
        ("test_cluster_resize", "test_cluster_resize_nodegroup", "test_basic_admin_scope"),
        "`--nodegroup`; allowed range; master refused by the driver; no admin cross-project",
    ),
    (
        "coe cluster upgrade",
        ("test_cluster_upgrade", "test_cluster_upgrade_nodegroup"),
        "`--nodegroup`: only to the cluster's own template (409)",
    ),
    (
        "coe cluster config",
        ("test_cluster_config", "test_cluster_config_kubernetes"),
        "swarm-mode: DOCKER_* exports and --output-certs; kubernetes: kubeconfig with the "
        "cluster CA and an admin certificate it signed",
    ),
    (
        "coe cluster delete",
        ("test_cluster_delete", "test_basic_cluster_is_private"),
        "polls until 404",
    ),
    (
        "coe nodegroup create",
        ("test_nodegroup_create", "test_basic_admin_scope"),
        "`--node-labels`, `--node-taints`; duplicate name and count rules (409)",
    ),
    ("coe nodegroup list", ("test_nodegroup_list", "test_basic_admin_scope"), "`--role`"),
    ("coe nodegroup show", ("test_nodegroup_show",), ""),
    (
        "coe nodegroup update",
        ("test_nodegroup_update",),
        "`--min-nodes`, `--max-nodes`, `--node-labels`/`--node-taints` (Python-literal strings)",
    ),
    ("coe nodegroup delete", ("test_nodegroup_delete",), "default nodegroups refused"),
    ("coe ca show", ("test_ca_show", "test_basic_ca_is_private"), ""),
    (
        "coe ca sign",
        ("test_ca_sign", "test_basic_admin_scope"),
        "signed by the cluster CA; bad CSR refused",
    ),
    ("coe ca rotate", ("test_ca_rotate", "test_basic_admin_scope"), "new CA afterwards"),
    (
        "coe credential rotate",
        ("test_credential_rotate", "test_basic_admin_scope"),
        "the test driver refuses (`Credential rotation is not supported by driver`); "
        "the client prints the failure and exits 0",
    ),
    (
        "coe quotas create",
        (
            "test_quotas_create",
            "test_quota_enforced_on_cluster_create",
            "test_basic_quotas_are_for_admins",
        ),
        "the client prints failures and exits 0; a quota of 1 refuses a second cluster",
    ),
    (
        "coe quotas list",
        ("test_quotas_list_empty", "test_quotas_list", "test_basic_quota_paging"),
        "`--all-tenants` works within one page",
    ),
    ("coe quotas show", ("test_quotas_show",), "no row: the default limit"),
    ("coe quotas update", ("test_quotas_update",), ""),
    ("coe quotas delete", ("test_quotas_delete",), ""),
    (
        "coe stats list",
        ("test_stats_list_empty", "test_stats_list", "test_basic_stats"),
        "another project: 403 for non-admins",
    ),
    (
        "coe service list",
        ("test_service_list", "test_basic_service_list_is_for_admins"),
        "admin only",
    ),
    (
        "project isolation (http_basic)",
        ("test_basic_template_is_private", "test_basic_cluster_is_private", "test_basic_roles"),
        "another project's cluster: the client prints Moorage's 404 title; readers read, "
        "only the creator gets the CA",
    ),
]

# Commands that need Keystone itself; not run.
KEYSTONE_ONLY: list[tuple[str, str]] = [
    (
        "coe cluster config --use-keystone",
        "the command runs (test_cluster_config_kubernetes), but the kubeconfig it writes "
        "hands the cluster `$OS_TOKEN`, a Keystone token: using it needs Keystone",
    ),
]


@dataclass
class Outcome:
    status: str  # passed, failed, error, xfailed, skipped, missing
    message: str = ""


def run_tests(junit: Path) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", MODULE,
         f"--junitxml={junit}"],
        cwd=ROOT,
        check=False,
    )  # fmt: skip
    return done.returncode, time.monotonic() - started


def outcomes(junit: Path) -> dict[str, Outcome]:
    found: dict[str, Outcome] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        status, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                status, message = (
                    ("failed" if child.tag == "failure" else "error"),
                    (child.get("message") or ""),
                )
            elif child.tag == "skipped":
                xfail = child.get("type") == "pytest.xfail"
                status, message = ("xfailed" if xfail else "skipped"), child.get("message") or ""
        found[case.get("name", "")] = Outcome(status, message.splitlines()[0] if message else "")
    return found


def client_versions() -> str:
    code = (
        "import importlib.metadata as m;"
        "print(', '.join(p + ' ' + m.version(p) for p in "
        "('python-openstackclient', 'python-magnumclient', 'keystoneauth1')))"
    )
    done = subprocess.run([str(CLIENTS_PYTHON), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "unknown (run `make clients`)"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(results: dict[str, Outcome], seconds: float) -> str:
    lines = [
        "# `openstack coe` commands against Moorage",
        "",
        f"Generated by `scripts/coe_matrix.py` on {datetime.date.today().isoformat()} from "
        f"`{MODULE}` ({len(results)} tests, {seconds:.0f} s), with {client_versions()}, "
        "against `moorage serve` with the test driver and no Keystone.",
        "",
        "Pointing Magnum's CLI at Moorage without Keystone:",
        "",
        "```",
        "openstack --os-auth-type none --os-endpoint http://127.0.0.1:9511/v1 coe ...",
        "openstack --os-auth-type http_basic --os-username alice --os-password ... \\",
        "          --os-endpoint http://127.0.0.1:9511/v1 coe ...   # auth_strategy = http_basic",
        "```",
        "",
        "Unset `OS_TOKEN`, `OS_CLOUD` and `OS_AUTH_URL` first: with `--os-auth-type none` an "
        "`OS_TOKEN` in the environment makes the client fail before it sends anything "
        "(`FixedEndpointPlugin.__init__() got an unexpected keyword argument 'token'`).",
        "",
        "| command | passes against Moorage | note |",
        "| --- | --- | --- |",
    ]
    for command, tests, note in COMMANDS:
        got = [(name, results.get(name, Outcome("missing", "test not found"))) for name in tests]
        bad = [(name, o) for name, o in got if o.status != "passed"]
        notes = [note] if note else []
        notes += [f"{name}: {o.status} — {o.message}".rstrip(" —") for name, o in bad]
        lines.append(f"| `{command}` | {'no' if bad else 'yes'} | {cell('; '.join(notes))} |")
    for command, why in KEYSTONE_ONLY:
        lines.append(f"| `{command}` | needs Keystone | {cell(why)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "coe-commands.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        rc, seconds = run_tests(junit)
        if not junit.exists():
            print(f"pytest produced no report (exit {rc})", file=sys.stderr)
            return 1
        results = outcomes(junit)
    mapped = {name for _, tests, _ in COMMANDS for name in tests}
    for name in sorted(set(results) - mapped):
        print(f"warning: {name} is not listed for any command", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, seconds))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
