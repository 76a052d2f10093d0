"""Policy rules with Magnum's names and defaults, enforced by oslo.policy.

A policy file (``[oslo_policy] policy_file``) overrides any rule.
"""

from __future__ import annotations

import threading
from typing import Any

from oslo_policy import policy

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext

ADMIN = "rule:context_is_admin"
MEMBER = "rule:admin_or_project_member"
READER = "rule:admin_or_project_reader"

BASE_RULES = {
    "context_is_admin": "role:admin",
    "admin_or_owner": "is_admin:True or project_id:%(project_id)s",
    "admin_or_user": "is_admin:True or user_id:%(user_id)s",
    "is_user": "user_id:%(user_id)s",
    "project_member": "role:member and project_id:%(project_id)s",
    "project_reader": "role:reader and project_id:%(project_id)s",
    "admin_or_project_reader": "rule:context_is_admin or rule:project_reader",
    "admin_or_project_member": "rule:context_is_admin or rule:project_member",
    "admin_or_project_member_user": "rule:context_is_admin or (rule:project_member and rule:is_user)",
    "admin_or_project_reader_user": "rule:context_is_admin or (rule:project_reader and rule:is_user)",
}


def _resource_rules() -> dict[str, str]:
    rules: dict[str, str] = {}
    for kind in ("cluster", "clustertemplate", "bay", "baymodel"):
        for action in ("create", "delete", "update"):
            rules[f"{kind}:{action}"] = MEMBER
        for action in ("get", "get_all", "detail"):
            rules[f"{kind}:{action}"] = READER
        for action in ("get_all", "detail", "get_one", "update", "delete"):
            rules[f"{kind}:{action}_all_projects"] = ADMIN
    rules.update(
        {
            "cluster:resize": MEMBER,
            "cluster:upgrade": MEMBER,
            "cluster:load_image": MEMBER,
            "cluster:upgrade_all_projects": ADMIN,
            "cluster:update_health_status": "rule:admin_or_project_member_user",
            "clustertemplate:publish": ADMIN,
            "baymodel:publish": ADMIN,
            "certificate:create": "rule:admin_or_project_member_user",
            "certificate:get": "rule:admin_or_project_reader_user",
            "certificate:rotate_ca": MEMBER,
            "credential:rotate": "rule:project_member",
            "nodegroup:get": READER,
            "nodegroup:get_all": READER,
            "nodegroup:create": MEMBER,
            "nodegroup:update": MEMBER,
            "nodegroup:delete": MEMBER,
            "nodegroup:get_all_all_projects": ADMIN,
            "nodegroup:get_one_all_projects": ADMIN,
            "quota:create": ADMIN,
            "quota:update": ADMIN,
            "quota:delete": ADMIN,
            "quota:get_all": ADMIN,
            "quota:get": READER,
            "stats:get_all": READER,
            "federation:create": MEMBER,
            "federation:update": MEMBER,
            "federation:delete": MEMBER,
            "federation:get": READER,
            "federation:get_all": READER,
            "federation:detail": READER,
            "magnum-service:get_all": ADMIN,
        }
    )
    return rules


def defaults() -> list[policy.RuleDefault]:
    every = {**BASE_RULES, **_resource_rules()}
    return [policy.RuleDefault(name, check) for name, check in every.items()]


_lock = threading.Lock()
_enforcer: policy.Enforcer | None = None


def enforcer() -> policy.Enforcer:
    global _enforcer
    with _lock:
        if _enforcer is None:
            _enforcer = policy.Enforcer(CONF)
            _enforcer.register_defaults(defaults())
        return _enforcer


def reset() -> None:
    """Forget the enforcer (tests change the policy file)."""
    global _enforcer
    with _lock:
        _enforcer = None


def _credentials(ctx: RequestContext) -> dict[str, Any]:
    return {
        "roles": list(ctx.roles),
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "is_admin": ctx.is_admin,
    }


def check(ctx: RequestContext, rule: str, target: dict[str, Any] | None = None) -> bool:
    target = target or {"project_id": ctx.project_id, "user_id": ctx.user_id}
    return bool(enforcer().enforce(rule, target, _credentials(ctx)))


def authorize(ctx: RequestContext, rule: str, target: dict[str, Any] | None = None) -> None:
    """Raise 403 ``Policy doesn't allow <rule> to be performed.`` when denied."""
    if not check(ctx, rule, target):
        raise exceptions.PolicyNotAuthorized(rule)


def widen_for_admin(ctx: RequestContext, rule: str) -> RequestContext:
    """Admins act across projects once the ``*_all_projects`` rule allows it."""
    if ctx.is_admin:
        authorize(ctx, rule)
        return ctx.scoped_to_all_projects()
    return ctx
