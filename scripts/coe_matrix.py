#!/usr/bin/env python3
"""Which ``openstack coe`` commands work against Moorage, with and without Keystone.

Runs tests/real/test_magnum_client.py (Magnum's own CLI from .venv-clients against
``moorage serve`` with the test driver, noauth and HTTP basic) and
tests/real/test_keystone.py (the same CLI with password authentication against a
real Keystone, Moorage found in its catalog; ``make clients keystone`` first), and
turns the outcome of the tests that exercise each command into one table row per
command: docs/coe-commands.md in full, and the summary table of the README
between its ``coe-commands`` markers. A command passes when every test listed for
it passed; a failure, error or skip shows as "no" with the test and the reason.

Usage: .venv/bin/python scripts/coe_matrix.py [--output docs/coe-commands.md] [--readme README.md]
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
PLAIN = "tests/real/test_magnum_client.py"
KEYSTONE = "tests/real/test_keystone.py"
CLIENTS_PYTHON = ROOT / ".venv-clients" / "bin" / "python"
BEGIN, END = "<!-- coe-commands:begin -->", "<!-- coe-commands:end -->"

# (command, tests of PLAIN that exercise and check it, note); the tests of KEYSTONE
# for the same command are in KEYSTONE_TESTS.
COMMANDS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "--os-auth-type password --os-auth-url KEYSTONE/v3 ... (endpoint from the catalog)",
        (),
        "`auth_strategy = keystone`: member, reader and admin users of two projects; "
        "tokens validated and cached by keystonemiddleware",
    ),
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
            "test_template_create_without_master_flavor_is_refused",
            "test_template_create_refused",
        ),
        "prints `Request to create cluster template <name> accepted`; nulls for options "
        "not given are accepted, but for a flavor: without `--master-flavor` refused "
        "(`Unable to find flavor None`, as Magnum with boot volume size 0)",
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
        "prints `Request to create cluster <uuid> accepted`",
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
        "project isolation (Keystone projects)",
        (),
        "another project's templates, clusters, node groups, CA, quotas and stats: 404 (403 "
        "for stats and quotas); readers read only; admins list every project",
    ),
    (
        "tokens refused: none, garbage, revoked, expired, of a deleted user or project",
        (),
        "keystonemiddleware's 401 body and `WWW-Authenticate`; a bad `X-Service-Token` too; "
        "cached tokens end with `token_cache_time`",
    ),
    ("system-scoped token", (), "403: every rule is project-scoped"),
    (
        "token cache",
        (),
        "one validation per token, shared by API processes through memcached; cached tokens "
        "work while Keystone is down (others: 503)",
    ),
    (
        "project isolation (http_basic)",
        ("test_basic_template_is_private", "test_basic_cluster_is_private", "test_basic_roles"),
        "another project's cluster: the client prints Moorage's 404 title; readers read, "
        "only the creator gets the CA",
    ),
]

# Tests of KEYSTONE by command; a command missing here is not run with Keystone.
KEYSTONE_TESTS: dict[str, tuple[str, ...]] = {
    "--os-auth-type password --os-auth-url KEYSTONE/v3 ... (endpoint from the catalog)": (
        "test_member_creates_template", "test_cli_without_token", "test_context_from_token",
    ),
    "coe cluster template create": (
        "test_member_creates_template", "test_reader_reads_but_cannot_create",
        "test_template_update_delete_publish",
    ),
    "coe cluster template list": ("test_member_creates_template", "test_other_project_sees_nothing"),
    "coe cluster template show": (
        "test_reader_reads_but_cannot_create", "test_other_project_sees_nothing",
    ),
    "coe cluster template update": ("test_template_update_delete_publish",),
    "coe cluster template delete": ("test_template_update_delete_publish",),
    "coe cluster create": ("test_member_cluster", "test_reader_reads_but_cannot_create"),
    "coe cluster list": (
        "test_member_cluster", "test_other_project_sees_nothing", "test_admin_sees_every_project",
    ),
    "coe cluster show": (
        "test_member_cluster", "test_other_project_sees_nothing", "test_admin_sees_every_project",
    ),
    "coe cluster update": ("test_cluster_update_and_resize",),
    "coe cluster resize": ("test_cluster_update_and_resize", "test_cluster_outlives_its_creator"),
    "coe cluster upgrade": ("test_cluster_upgrade",),
    "coe cluster config": ("test_cluster_config",),
    "coe cluster delete": ("test_cluster_delete", "test_reader_reads_but_cannot_create"),
    "coe nodegroup create": ("test_nodegroups",),
    "coe nodegroup list": ("test_nodegroups",),
    "coe nodegroup show": ("test_nodegroups",),
    "coe nodegroup update": ("test_nodegroups",),
    "coe nodegroup delete": ("test_nodegroups",),
    "coe ca show": ("test_ca_show_sign_rotate", "test_cluster_outlives_its_creator"),
    "coe ca sign": ("test_ca_show_sign_rotate",),
    "coe ca rotate": ("test_ca_show_sign_rotate",),
    "coe credential rotate": ("test_credential_rotate",),
    "coe quotas create": ("test_quotas", "test_quota_for_unknown_project"),
    "coe quotas list": ("test_quotas",),
    "coe quotas show": ("test_quotas",),
    "coe quotas update": ("test_quotas",),
    "coe quotas delete": ("test_quotas",),
    "coe stats list": ("test_stats",),
    "coe service list": ("test_service_list_is_for_admins",),
    "project isolation (Keystone projects)": (
        "test_other_project_sees_nothing", "test_admin_sees_every_project",
        "test_reader_reads_but_cannot_create", "test_identity_headers_of_the_caller_are_ignored",
    ),
    "tokens refused: none, garbage, revoked, expired, of a deleted user or project": (
        "test_public_routes_need_no_token", "test_bad_token_is_401", "test_revoked_token_is_401",
        "test_expired_token_is_401", "test_deleted_project_gets_nothing",
        "test_cluster_outlives_its_creator", "test_service_token",
    ),
    "system-scoped token": ("test_system_scoped_token_is_refused",),
    "token cache": (
        "test_token_cache", "test_memcached_token_cache_is_shared",
        "test_cached_token_works_while_keystone_is_down",
    ),
}  # fmt: skip

# Commands run by neither module, and why.
NOT_RUN: list[tuple[str, str]] = [
    (
        "coe cluster config --use-keystone",
        "the command runs (test_cluster_config_kubernetes), but the kubeconfig it writes "
        "hands a Kubernetes cluster `$OS_TOKEN` to check with Keystone: Moorage makes "
        "Swarm clusters only",
    ),
]


@dataclass
class Outcome:
    status: str  # passed, failed, error, xfailed, skipped, missing
    message: str = ""


def run_tests(junit: Path) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", PLAIN, KEYSTONE,
         f"--junitxml={junit}"],
        cwd=ROOT,
        check=False,
    )  # fmt: skip
    return done.returncode, time.monotonic() - started


def outcomes(junit: Path) -> dict[str, Outcome]:
    """Outcomes by ``<module path>::<test name>``."""
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
        module = case.get("classname", "").replace(".", "/") + ".py"
        first = message.splitlines()[0] if message else ""
        found[f"{module}::{case.get('name', '')}"] = Outcome(status, first)
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


def verdict(
    results: dict[str, Outcome], module: str, tests: tuple[str, ...]
) -> tuple[str, list[str]]:
    """("yes" | "no" | "not run", reasons) for one command in one module."""
    if not tests:
        return "not run", []
    got = [pair for name in tests for pair in cases(results, module, name)]
    bad = [
        f"{name}: {o.status} — {o.message}".rstrip(" —") for name, o in got if o.status != "passed"
    ]
    return ("no" if bad else "yes"), bad


def cases(results: dict[str, Outcome], module: str, test: str) -> list[tuple[str, Outcome]]:
    """The outcomes of ``test`` in ``module``: one, or one per parameter set."""
    prefix = f"{module}::"
    found = [
        (key.removeprefix(prefix), outcome)
        for key, outcome in results.items()
        if key == prefix + test or key.startswith(f"{prefix}{test}[")
    ]
    return found or [(test, Outcome("missing", "test not found"))]


def rows(results: dict[str, Outcome]) -> list[tuple[str, str, str, str]]:
    """(command, without Keystone, with Keystone, note) for every command."""
    table = []
    for command, tests, note in COMMANDS:
        plain, plain_bad = verdict(results, PLAIN, tests)
        keystone, keystone_bad = verdict(results, KEYSTONE, KEYSTONE_TESTS.get(command, ()))
        notes = ([note] if note else []) + plain_bad + keystone_bad
        table.append((command, plain, keystone, "; ".join(notes)))
    table += [(command, "not run", "not run", why) for command, why in NOT_RUN]
    return table


def summary(results: dict[str, Outcome]) -> str:
    """The README's table: command and verdicts only."""
    lines = ["| command | without Keystone | with Keystone |", "| --- | --- | --- |"]
    lines += [f"| `{c}` | {p} | {k} |" for c, p, k, _ in rows(results)]
    return "\n".join(lines) + "\n"


def render(results: dict[str, Outcome], seconds: float) -> str:
    lines = [
        "# `openstack coe` commands against Moorage",
        "",
        f"Generated by `scripts/coe_matrix.py` on {datetime.date.today().isoformat()} from "
        f"`{PLAIN}` and `{KEYSTONE}` ({len(results)} tests, {seconds:.0f} s), with "
        f"{client_versions()}, against `moorage serve` with the test driver: without "
        "Keystone (noauth, HTTP basic), and with a real Keystone (`auth_strategy = "
        "keystone`, users of two projects and an admin, password authentication, Moorage "
        "found in the catalog).",
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
        "(`FixedEndpointPlugin.__init__() got an unexpected keyword argument 'token'`). With "
        "Keystone, the usual `OS_AUTH_URL`, `OS_USERNAME`, ... (or `clouds.yaml`) and no "
        "endpoint option: the client finds `container-infra` in the catalog.",
        "",
        "| command | without Keystone | with Keystone | note |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `{c}` | {p} | {k} | {cell(n)} |" for c, p, k, n in rows(results)]
    return "\n".join(lines) + "\n"


def replace_between_markers(path: Path, text: str) -> None:
    """Put ``text`` between the BEGIN and END markers of ``path``."""
    current = path.read_text()
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{path}: markers {BEGIN} ... {END} are missing")
    before, rest = current.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{BEGIN}\n{text}{END}{after}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "coe-commands.md")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--junit", type=Path, help="use this report instead of running the tests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit, seconds = args.junit, 0.0
        if junit is None:
            junit = Path(tmp) / "junit.xml"
            rc, seconds = run_tests(junit)
            if not junit.exists():
                print(f"pytest produced no report (exit {rc})", file=sys.stderr)
                return 1
        results = outcomes(junit)
    mapped = {f"{PLAIN}::{name}" for _, tests, _ in COMMANDS for name in tests}
    mapped |= {f"{KEYSTONE}::{name}" for tests in KEYSTONE_TESTS.values() for name in tests}
    for name in sorted(n for n in results if n.split("[")[0] not in mapped):
        print(f"note: {name} is not listed for any command", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(results, seconds))
    replace_between_markers(args.readme, summary(results))
    print(f"wrote {args.output} and the table in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
