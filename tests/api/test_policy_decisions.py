"""Remembered policy decisions: the same answers as oslo.policy's, current and bounded."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from oslo_policy import policy as oslo_policy

from moorage.api import auth, policy
from moorage.api.policy_decisions import RememberingEnforcer
from moorage.config import CONF
from moorage.context import RequestContext

ALICE = RequestContext(user_id="alice", project_id="project-a", roles=("member", "reader"))


@pytest.fixture(autouse=True)
def restore_policy() -> Iterator[None]:
    yield
    for opt in ("enforce_new_defaults", "policy_file", "policy_dirs"):
        CONF.clear_override(opt, group="oslo_policy")
    CONF.clear_override("policy_decisions", group="api")
    policy.reset()


def later(path: Path, seconds: int) -> None:
    """Move ``path``'s mtime on, whatever the clock's resolution."""
    moved = path.stat().st_mtime + seconds
    os.utime(path, (moved, moved))


def count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The rules oslo.policy itself evaluates from now on."""
    evaluated: list[str] = []
    enforcer = policy.enforcer()
    enforce = enforcer.enforce

    def counting(rule: str, *args: Any, **kwargs: Any) -> bool:
        evaluated.append(rule)
        return bool(enforce(rule, *args, **kwargs))

    monkeypatch.setattr(enforcer, "enforce", counting)
    return evaluated


def callers() -> list[RequestContext]:
    def ctx(project: str | None, roles: list[str], **extra: Any) -> RequestContext:
        return RequestContext(
            user_id=extra.pop("user_id", "u-" + "-".join(roles)),
            project_id=project,
            roles=auth.expand_roles(roles),
            is_admin="admin" in roles,
            **extra,
        )

    return [
        ctx("project-a", ["admin"]),
        ctx("project-a", ["member"]),
        ctx("project-a", ["member"], user_id="alice2"),
        ctx("project-a", ["reader"]),
        ctx("project-b", ["member"]),
        ctx("project-a", []),
        ctx(None, []),
        ctx(None, ["admin"], system_scope="all"),
        ctx(None, ["admin"], domain_scope="default"),
    ]


TARGETS = [
    None,
    {"project_id": "project-a", "user_id": "alice2"},
    {"project_id": "project-b", "user_id": "u-member"},
]


@pytest.mark.parametrize("new_defaults", [True, False])
def test_every_decision_is_oslo_policys_own(new_defaults: bool) -> None:
    CONF.set_override("enforce_new_defaults", new_defaults, group="oslo_policy")
    policy.reset()
    plain = oslo_policy.Enforcer(CONF)
    plain.register_defaults(policy.defaults())
    plain.suppress_default_change_warnings = True
    rules = [rule.name for rule in policy.defaults()]
    answers = set()
    for ctx, rule, target in itertools.product(callers(), rules, TARGETS):
        expected = bool(
            plain.enforce(
                rule,
                target or {"project_id": ctx.project_id, "user_id": ctx.user_id},
                policy._credentials(ctx),
            )
        )
        # Twice: worked out, then remembered.
        assert policy.check(ctx, rule, target) is expected, (ctx, rule, target)
        assert policy.check(ctx, rule, target) is expected, (ctx, rule, target)
        answers.add(expected)
    assert answers == {True, False}


def test_a_decision_is_remembered_for_equal_credentials_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluated = count_evaluations(monkeypatch)
    target = {"project_id": "project-a", "user_id": "alice"}
    assert policy.check(ALICE, "cluster:get", target)
    assert policy.check(ALICE, "cluster:get", target)
    assert evaluated == ["cluster:get"]
    # Any credential or target that differs is decided on its own.
    other_user = RequestContext(user_id="mallory", project_id="project-a", roles=ALICE.roles)
    other_project = RequestContext(user_id="alice", project_id="project-b", roles=ALICE.roles)
    reader = RequestContext(user_id="alice", project_id="project-a", roles=("reader",))
    assert policy.check(other_user, "cluster:get", target)
    assert not policy.check(other_project, "cluster:get", target)
    assert not policy.check(reader, "cluster:delete", target)
    assert not policy.check(ALICE, "cluster:get", {"project_id": "project-b"})
    assert len(evaluated) == 5


def test_a_changed_policy_file_decides_the_next_request(tmp_path: Path) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"cluster:get_all": "rule:admin_or_project_reader"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    assert policy.check(ALICE, "cluster:get_all")
    rules.write_text('"cluster:get_all": "!"\n')
    later(rules, 10)  # oslo.policy rereads a file whose mtime grew
    assert not policy.check(ALICE, "cluster:get_all")
    rules.write_text('"cluster:get_all": "role:member"\n')
    later(rules, 20)
    assert policy.check(ALICE, "cluster:get_all")


def test_a_file_added_to_a_policy_directory_decides_the_next_request(tmp_path: Path) -> None:
    directory = tmp_path / "policy.d"
    directory.mkdir()
    CONF.set_override("policy_dirs", [str(directory)], group="oslo_policy")
    policy.reset()
    assert policy.check(ALICE, "cluster:create")
    (directory / "deny.yaml").write_text('"cluster:create": "!"\n')
    later(directory / "deny.yaml", 10)
    assert not policy.check(ALICE, "cluster:create")


def test_rules_set_or_registered_later_forget_every_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluated = count_evaluations(monkeypatch)
    enforcer = policy.enforcer()
    assert policy.check(ALICE, "cluster:create")
    enforcer.set_rules(oslo_policy.Rules.from_dict({"cluster:create": "!"}), overwrite=False)
    assert not policy.check(ALICE, "cluster:create")
    enforcer.register_default(oslo_policy.RuleDefault("moorage:test", "role:member"))
    assert not policy.check(ALICE, "cluster:create")
    assert evaluated == ["cluster:create"] * 3


def test_a_decision_made_while_the_rules_change_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enforcer = policy.enforcer()
    enforce = enforcer.enforce
    evaluated: list[str] = []

    def racing(rule: str, *args: Any, **kwargs: Any) -> bool:
        evaluated.append(rule)
        decision = bool(enforce(rule, *args, **kwargs))
        if len(evaluated) == 1:  # another thread reloads the rules meanwhile
            enforcer.set_rules(oslo_policy.Rules.from_dict({"cluster:create": "!"}), False)
        return decision

    monkeypatch.setattr(enforcer, "enforce", racing)
    assert policy.check(ALICE, "cluster:create")  # decided on the old rules
    assert not policy.check(ALICE, "cluster:create")  # not that answer again
    assert evaluated == ["cluster:create"] * 2


class _Answers(BaseHTTPRequestHandler):
    answer = b"True"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def policy_server() -> Iterator[tuple[str, Callable[[bytes], None]]]:
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def answer(text: bytes) -> None:
        _Answers.answer = text

    yield f"http://127.0.0.1:{server.server_port}/check", answer
    server.shutdown()
    server.server_close()
    _Answers.answer = b"True"


def test_nothing_is_remembered_while_a_rule_asks_a_server(
    policy_server: tuple[str, Callable[[bytes], None]], tmp_path: Path
) -> None:
    url, answer = policy_server
    rules = tmp_path / "policy.yaml"
    rules.write_text(f'"cluster:create": "{url}"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    assert policy.check(ALICE, "cluster:create")
    answer(b"False")
    assert not policy.check(ALICE, "cluster:create")
    # Nor any other rule: any of them may reach the remote one through rule:...
    assert len(policy.enforcer()._memo) == 0


def test_at_most_policy_decisions_are_remembered_least_recent_out_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    CONF.set_override("policy_decisions", 3, group="api")
    policy.reset()
    evaluated = count_evaluations(monkeypatch)
    users = [
        RequestContext(user_id=f"user-{n}", project_id="project-a", roles=("member",))
        for n in range(5)
    ]
    for ctx in users:
        assert policy.check(ctx, "cluster:create")
    assert len(policy.enforcer()._memo) == 3
    evaluated.clear()
    policy.check(users[4], "cluster:create")  # remembered, and now the most recent
    policy.check(users[2], "cluster:create")
    policy.check(users[0], "cluster:create")  # out: decided again, pushes out user-3
    policy.check(users[3], "cluster:create")
    assert len(evaluated) == 2


def test_zero_remembers_nothing() -> None:
    enforcer = RememberingEnforcer(CONF, 0)
    enforcer.register_defaults(policy.defaults())
    creds = policy._credentials(ALICE)
    target = {"project_id": "project-a"}
    assert enforcer.decide("cluster:create", target, creds)
    assert enforcer.decide("cluster:create", target, creds)
    assert len(enforcer._memo) == 0


def test_a_registered_default_that_asks_a_server_is_not_remembered(
    policy_server: tuple[str, Callable[[bytes], None]],
) -> None:
    # oslo.policy adds registered defaults to its rules in place, on the next decision.
    url, answer = policy_server
    enforcer = RememberingEnforcer(CONF, 10)
    enforcer.register_default(oslo_policy.RuleDefault("remote", url))
    assert enforcer.decide("remote", {}, {})
    answer(b"False")
    assert not enforcer.decide("remote", {}, {})
