"""Policy rules with Magnum's names and defaults, enforced by oslo.policy.

Every rule that acts on a project's resources has Magnum's secure-RBAC default
(admin, or the project's member/reader role) and is project-scoped
(``scope_types=["project"]``), as in Magnum. Magnum deprecated its older defaults in
2023.2 but keeps them behind oslo.policy's ``[oslo_policy] enforce_new_defaults``,
and so does Moorage, with the same effect:

* ``enforce_new_defaults = true`` (oslo.policy's default): only the new defaults
  apply, so a reader may list and show but not create, update or delete.
* ``enforce_new_defaults = false``: a rule also passes when its old default does
  (``rule:admin_or_owner`` - any user of the owning project - or, for certificates
  and health status, ``rule:admin_or_user``). This is the upgrade path for
  deployments whose users have no member/reader roles yet; admin-only rules
  (publish, ``*_all_projects``, quota changes, services) stay admin-only.

Magnum hangs the old defaults on its base rules (``admin_or_project_member``, ...);
Moorage hangs them on each resource rule (``OLD_DEFAULTS``), with the same effect.

A policy file (``[oslo_policy] policy_file``) overrides any rule in both modes: an
overridden resource rule is used exactly as written, without its old default.

Scope: oslo.policy (6.x) always checks a rule's ``scope_types``. A system-scoped
token (``OpenStack-System-Scope: all``) or a domain-scoped one is refused by every
resource rule, even with the admin role, with the same 403 as any other denial.
Magnum leaves its admin-only rules unscoped; here they are project-scoped too, so a
system-scoped admin gets no cross-project view either.

``whoami:get`` (Moorage's ``GET /v1/whoami``) is about the caller, not a project's
resources: by default any authenticated caller of any scope may ask it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from oslo_policy import policy

from moorage import exceptions
from moorage.api.policy_decisions import RememberingEnforcer
from moorage.config import CONF
from moorage.context import RequestContext

LOG = logging.getLogger(__name__)

ADMIN = "rule:context_is_admin"
MEMBER = "rule:admin_or_project_member"
READER = "rule:admin_or_project_reader"
MEMBER_USER = "rule:admin_or_project_member_user"
READER_USER = "rule:admin_or_project_reader_user"
PROJECT_MEMBER = "rule:project_member"

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

# Magnum's defaults before secure RBAC, by new default: what a rule also accepts
# when ``[oslo_policy] enforce_new_defaults`` is false. Admin-only rules have none.
OLD_DEFAULTS = {
    MEMBER: "rule:admin_or_owner",
    READER: "rule:admin_or_owner",
    PROJECT_MEMBER: "rule:admin_or_owner",
    MEMBER_USER: "rule:admin_or_user",
    READER_USER: "rule:admin_or_user",
}
DEPRECATED_REASON = "The Magnum API now enforces scoped tokens and default reader and member roles."
DEPRECATED_SINCE = "OpenStack 2023.2 (Magnum 17.0.0)"


@dataclass(frozen=True)
class Rule:
    """One resource rule: its name, new default and the operation it guards."""

    name: str
    check: str
    method: str
    path: str
    description: str


# Resources with Magnum's create/list/show/update/delete rules: policy prefix ->
# (noun, collection path, item path).
_CRUD_KINDS = {
    "cluster": ("cluster", "/v1/clusters", "/v1/clusters/{cluster_ident}"),
    "clustertemplate": (
        "cluster template",
        "/v1/clustertemplates",
        "/v1/clustertemplates/{clustertemplate_ident}",
    ),
    "bay": ("bay", "/v1/bays", "/v1/bays/{bay_ident}"),
    "baymodel": ("baymodel", "/v1/baymodels", "/v1/baymodels/{baymodel_ident}"),
    "federation": ("federation", "/v1/federations", "/v1/federations/{federation_ident}"),
}
# action -> (new default, method, path, description); paths name the kind's
# collection and item.
_CRUD_ACTIONS = {
    "create": (MEMBER, "POST", "{collection}", "Create a {noun}."),
    "delete": (MEMBER, "DELETE", "{item}", "Delete a {noun}."),
    "update": (MEMBER, "PATCH", "{item}", "Update a {noun}."),
    "get": (READER, "GET", "{item}", "Retrieve a {noun}."),
    "get_all": (READER, "GET", "{collection}", "List {noun}s."),
    "detail": (READER, "GET", "{collection}/detail", "List {noun}s with detail."),
}
# ``<kind>:<action>_all_projects`` (admin only) -> the action it widens.
_ALL_PROJECTS = {
    "get_all": "get_all",
    "detail": "detail",
    "get_one": "get",
    "update": "update",
    "delete": "delete",
}
_WIDENED_KINDS = ("cluster", "clustertemplate", "bay", "baymodel")

_CLUSTER = "/v1/clusters/{cluster_ident}"
_NODEGROUPS = _CLUSTER + "/nodegroups"
_NODEGROUP = _NODEGROUPS + "/{nodegroup_ident}"
_QUOTA = "/v1/quotas/{project_id}/{resource}"
_OTHER_RULES = (
    Rule("cluster:resize", MEMBER, "POST", _CLUSTER + "/actions/resize", "Resize a cluster."),
    Rule("cluster:upgrade", MEMBER, "POST", _CLUSTER + "/actions/upgrade", "Upgrade a cluster."),
    Rule(
        "cluster:upgrade_all_projects",
        ADMIN,
        "POST",
        _CLUSTER + "/actions/upgrade",
        "Upgrade a cluster of any project.",
    ),
    Rule(
        "cluster:load_image",
        MEMBER,
        "POST",
        _CLUSTER + "/actions/load_image",
        "Copy an image into every node of a cluster (Moorage).",
    ),
    Rule(
        "cluster:update_health_status",
        MEMBER_USER,
        "PATCH",
        _CLUSTER,
        "Update the health status of a cluster.",
    ),
    Rule(
        "clustertemplate:publish",
        ADMIN,
        "POST",
        "/v1/clustertemplates",
        "Set or clear a cluster template's public or hidden flag.",
    ),
    Rule("baymodel:publish", ADMIN, "POST", "/v1/baymodels", "Publish a baymodel."),
    Rule("certificate:create", MEMBER_USER, "POST", "/v1/certificates", "Sign a certificate."),
    Rule(
        "certificate:get",
        READER_USER,
        "GET",
        "/v1/certificates/{cluster_ident}",
        "Retrieve a cluster's CA certificate.",
    ),
    Rule(
        "certificate:rotate_ca",
        MEMBER,
        "PATCH",
        "/v1/certificates/{cluster_ident}",
        "Rotate a cluster's CA certificate.",
    ),
    Rule(
        "credential:rotate",
        PROJECT_MEMBER,
        "PATCH",
        "/v1/credentials/{cluster_ident}",
        "Rotate a cluster's credentials.",
    ),
    Rule("nodegroup:get", READER, "GET", _NODEGROUP, "Retrieve a node group."),
    Rule("nodegroup:get_all", READER, "GET", _NODEGROUPS, "List a cluster's node groups."),
    Rule("nodegroup:create", MEMBER, "POST", _NODEGROUPS, "Create a node group."),
    Rule("nodegroup:update", MEMBER, "PATCH", _NODEGROUP, "Update a node group."),
    Rule("nodegroup:delete", MEMBER, "DELETE", _NODEGROUP, "Delete a node group."),
    Rule(
        "nodegroup:get_all_all_projects",
        ADMIN,
        "GET",
        _NODEGROUPS,
        "List the node groups of a cluster of any project.",
    ),
    Rule(
        "nodegroup:get_one_all_projects",
        ADMIN,
        "GET",
        _NODEGROUP,
        "Retrieve a node group of a cluster of any project.",
    ),
    Rule("quota:create", ADMIN, "POST", "/v1/quotas", "Create a quota."),
    Rule("quota:update", ADMIN, "PATCH", _QUOTA, "Update a quota."),
    Rule("quota:delete", ADMIN, "DELETE", _QUOTA, "Delete a quota."),
    Rule("quota:get_all", ADMIN, "GET", "/v1/quotas", "List quotas."),
    Rule("quota:get", READER, "GET", _QUOTA, "Retrieve a project's quota."),
    Rule("stats:get_all", READER, "GET", "/v1/stats", "Retrieve cluster and node counts."),
    Rule(
        "catalog:get",
        READER,
        "GET",
        "/v1/catalog",
        "List the images, flavors, networks and key pairs templates may name (Moorage).",
    ),
    Rule("magnum-service:get_all", ADMIN, "GET", "/v1/mservices", "List conductor services."),
)

# Rules on the caller itself rather than on a project's resources: any authenticated
# caller, of any scope, may learn what its own credentials say (a token's holder
# could ask Keystone the same), so a system- or domain-scoped token is answered too.
CALLER = ""
CALLER_SCOPES = ["system", "domain", "project"]
_CALLER_RULES = (
    Rule(
        "whoami:get",
        CALLER,
        "GET",
        "/v1/whoami",
        "Show the caller's own user, project, roles and scope (Moorage).",
    ),
)


def resource_rules() -> list[Rule]:
    """Every rule on a resource, with Magnum's names and new defaults."""
    rules = []
    for kind, (noun, collection, item) in _CRUD_KINDS.items():
        names = {f"{kind}:{action}": action for action in _CRUD_ACTIONS}
        if kind in _WIDENED_KINDS:
            names.update({f"{kind}:{w}_all_projects": a for w, a in _ALL_PROJECTS.items()})
        for name, action in names.items():
            check, method, path, text = _CRUD_ACTIONS[action]
            description = text.format(noun=noun)
            if name.endswith("_all_projects"):
                check, description = ADMIN, description[:-1] + " across projects."
            path = path.format(collection=collection, item=item)
            rules.append(Rule(name, check, method, path, description))
    return rules + list(_OTHER_RULES)


def caller_rules() -> list[Rule]:
    """Every rule on the caller's own identity (not project-scoped)."""
    return list(_CALLER_RULES)


def _default(rule: Rule, scopes: list[str]) -> policy.DocumentedRuleDefault:
    old = OLD_DEFAULTS.get(rule.check)
    deprecated = (
        policy.DeprecatedRule(
            rule.name,
            old,
            deprecated_reason=DEPRECATED_REASON,
            deprecated_since=DEPRECATED_SINCE,
        )
        if old
        else None
    )
    return policy.DocumentedRuleDefault(
        name=rule.name,
        check_str=rule.check,
        description=rule.description,
        operations=[{"path": rule.path, "method": rule.method}],
        scope_types=scopes,
        deprecated_rule=deprecated,
    )


def defaults() -> list[policy.RuleDefault]:
    base = [policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
    resources = [_default(rule, ["project"]) for rule in resource_rules()]
    return base + resources + [_default(rule, CALLER_SCOPES) for rule in caller_rules()]


_lock = threading.Lock()
_enforcer: RememberingEnforcer | None = None


def enforcer() -> RememberingEnforcer:
    global _enforcer
    with _lock:
        if _enforcer is None:
            _enforcer = RememberingEnforcer(CONF, CONF.api.policy_decisions)
            _enforcer.register_defaults(defaults())
            # oslo.policy would warn once per rule; one line says the same.
            _enforcer.suppress_default_change_warnings = True
            if not CONF.oslo_policy.enforce_new_defaults:
                LOG.warning(
                    "[oslo_policy] enforce_new_defaults is false: Magnum's deprecated "
                    "pre-secure-RBAC policy defaults are accepted too."
                )
        return _enforcer


def reset() -> None:
    """Forget the enforcer (tests change the policy file)."""
    global _enforcer
    with _lock:
        _enforcer = None


def _credentials(ctx: RequestContext) -> dict[str, Any]:
    """What oslo.policy checks rules against.

    Unset ids are left out, so ``project_id:%(project_id)s`` never matches a caller
    without a project (``"None" == "None"`` otherwise). ``system_scope`` and
    ``domain_id`` (a domain-scoped token's domain) tell oslo.policy the token's
    scope; project-scoped rules refuse the other scopes.
    """
    creds: dict[str, Any] = {"roles": list(ctx.roles), "is_admin": ctx.is_admin}
    optional = {
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "system_scope": ctx.system_scope,
        "domain_id": ctx.domain_scope,
    }
    creds.update({key: value for key, value in optional.items() if value})
    return creds


def check(ctx: RequestContext, rule: str, target: dict[str, Any] | None = None) -> bool:
    """Whether ``rule`` allows the caller; a token of the wrong scope is just denied."""
    target = target or {"project_id": ctx.project_id, "user_id": ctx.user_id}
    try:
        return enforcer().decide(rule, target, _credentials(ctx))
    except policy.InvalidScope:
        # Not raised without do_raise in oslo.policy 6, but a denial whatever the version.
        return False


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
