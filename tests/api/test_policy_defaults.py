"""Magnum's policy defaults: secure RBAC, the old defaults behind
``[oslo_policy] enforce_new_defaults``, project scope and policy-file overrides."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from oslo_policy import policy as oslo_policy

from moorage import exceptions
from moorage.api import auth, keystone, policy
from moorage.config import CONF
from moorage.context import RequestContext
from tests.api.conftest import Api, assert_error, template_body
from tests.api.test_clusters import record_casts

DENIED = "Policy doesn't allow {} to be performed."
PUBLISH_DENIED = "Not authorized to set public or hidden flag for cluster template."


def set_new_defaults(enforce: bool) -> None:
    CONF.set_override("enforce_new_defaults", enforce, group="oslo_policy")
    policy.reset()


@pytest.fixture(autouse=True)
def restore_policy() -> Iterator[None]:
    yield
    for opt in ("enforce_new_defaults", "policy_file"):
        CONF.clear_override(opt, group="oslo_policy")
    policy.reset()


@pytest.fixture
def old_defaults() -> None:
    set_new_defaults(False)


def create_template(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/clustertemplates", template_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_cluster(api: Api, template: str) -> Any:
    return api.post("/v1/clusters", {"cluster_template_id": template, "node_count": 1})


# --- the rule table ---------------------------------------------------------------


def test_every_resource_rule_is_project_scoped_with_magnums_old_default() -> None:
    registered = {rule.name: rule for rule in policy.defaults()}
    caller = {rule.name for rule in policy.caller_rules()}
    assert caller == {"whoami:get"}  # on the caller itself: in test_whoami
    resource = [rule for name, rule in registered.items() if ":" in name and name not in caller]
    assert len(resource) == 76  # Magnum's, with Moorage's load_image and catalog:get
    for rule in resource:
        assert rule.scope_types == ["project"], rule.name
        assert isinstance(rule, oslo_policy.DocumentedRuleDefault) and rule.description
        old = rule.deprecated_rule
        if rule.check_str == "rule:context_is_admin":
            assert old is None, rule.name  # admin-only rules stay admin-only
        else:
            assert old is not None and old.name == rule.name, rule.name
            assert old.deprecated_since and old.deprecated_reason
    old_of = {r.name: r.deprecated_rule.check_str for r in resource if r.deprecated_rule}
    assert old_of["clustertemplate:create"] == "rule:admin_or_owner"
    assert old_of["cluster:get"] == "rule:admin_or_owner"
    assert old_of["credential:rotate"] == "rule:admin_or_owner"
    assert old_of["certificate:create"] == "rule:admin_or_user"
    assert old_of["certificate:get"] == "rule:admin_or_user"
    for admin_only in ("clustertemplate:publish", "cluster:get_all_all_projects", "quota:update"):
        assert admin_only not in old_of


# --- enforce_new_defaults ---------------------------------------------------------


def test_new_defaults_refuse_a_reader_any_change(as_user: Callable[[str], Api], alice: Api) -> None:
    assert CONF.oslo_policy.enforce_new_defaults is True
    ann = as_user("ann")
    assert_error(
        ann.post("/v1/clustertemplates", template_body()),
        403,
        DENIED.format("clustertemplate:create"),
    )
    template = create_template(alice)
    assert_error(create_cluster(ann, template["uuid"]), 403, DENIED.format("cluster:create"))
    assert ann.get("/v1/clustertemplates").json()["clustertemplates"][0]["uuid"] == template["uuid"]


def test_old_defaults_let_any_user_of_the_project_act_within_it(
    old_defaults: None, as_user: Callable[[str], Api], alice: Api, bob: Api
) -> None:
    ann = as_user("ann")  # only the reader role in project-a
    record_casts()
    mine = create_template(ann, name="anns")
    assert mine["project_id"] == "project-a"
    assert create_cluster(ann, mine["uuid"]).status_code == 202
    assert (
        ann.patch(
            f"/v1/clustertemplates/{mine['uuid']}",
            [{"op": "replace", "path": "/name", "value": "renamed"}],
        ).json()["name"]
        == "renamed"
    )
    # Another project's resources stay out of sight.
    theirs = create_template(bob, name="bobs")
    assert_error(
        ann.get(f"/v1/clustertemplates/{theirs['uuid']}"),
        404,
        f"ClusterTemplate {theirs['uuid']} could not be found.",
    )
    assert_error(
        ann.delete(f"/v1/clustertemplates/{theirs['uuid']}"),
        404,
        f"ClusterTemplate {theirs['uuid']} could not be found.",
    )
    bobs_cluster = create_cluster(bob, theirs["uuid"]).json()["uuid"]
    assert_error(
        ann.get(f"/v1/clusters/{bobs_cluster}"), 404, f"Cluster {bobs_cluster} could not be found."
    )
    assert [c["uuid"] for c in ann.get("/v1/clusters").json()["clusters"]] != [bobs_cluster]
    # Admin-only rules have no old default.
    assert_error(ann.post("/v1/clustertemplates", template_body(public=True)), 403, PUBLISH_DENIED)
    assert_error(ann.get("/v1/quotas"), 403, DENIED.format("quota:get_all"))
    assert_error(ann.get("/v1/mservices"), 403, DENIED.format("magnum-service:get_all"))


@pytest.mark.parametrize("enforce_new_defaults", [True, False])
def test_policy_file_overrides_a_rule_in_both_modes(
    enforce_new_defaults: bool, as_user: Callable[[str], Api], alice: Api, tmp_path: Path
) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"cluster:create": "role:admin"\n"clustertemplate:delete": "role:reader"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    set_new_defaults(enforce_new_defaults)
    ann = as_user("ann")
    template = create_template(alice)
    # Overridden: exactly as written, without the old default (admin_or_owner) ...
    assert_error(create_cluster(alice, template["uuid"]), 403, DENIED.format("cluster:create"))
    assert_error(create_cluster(ann, template["uuid"]), 403, DENIED.format("cluster:create"))
    # ... and loosening works too: a reader may delete a template.
    assert ann.delete(f"/v1/clustertemplates/{template['uuid']}").status_code == 204
    # Not overridden: the mode decides.
    creates = ann.post("/v1/clustertemplates", template_body())
    assert creates.status_code == (403 if enforce_new_defaults else 201), creates.text


def test_policy_file_can_let_members_publish(alice: Api, tmp_path: Path) -> None:
    """Only admins publish templates, unless the policy says otherwise (as Magnum)."""
    assert_error(
        alice.post("/v1/clustertemplates", template_body(public=True)), 403, PUBLISH_DENIED
    )
    rules = tmp_path / "policy.yaml"
    rules.write_text('"clustertemplate:publish": "rule:admin_or_project_member"\n')
    CONF.set_override("policy_file", str(rules), group="oslo_policy")
    policy.reset()
    assert create_template(alice, public=True)["public"] is True


# --- scope --------------------------------------------------------------------------


def _system_admin() -> RequestContext:
    return RequestContext(
        user_id="cloud-admin",
        roles=auth.expand_roles(["admin"]),
        is_admin=True,
        system_scope="all",
    )


@pytest.mark.parametrize("enforce_new_defaults", [True, False])
@pytest.mark.parametrize(
    "ctx",
    [
        _system_admin(),
        RequestContext(
            user_id="domain-admin",
            roles=auth.expand_roles(["admin"]),
            is_admin=True,
            domain_scope="default",
        ),
    ],
    ids=["system", "domain"],
)
def test_system_or_domain_scoped_tokens_are_refused_by_every_resource_rule(
    ctx: RequestContext, enforce_new_defaults: bool
) -> None:
    set_new_defaults(enforce_new_defaults)
    assert policy.check(ctx, "context_is_admin")  # the role, which has no scope
    for rule in policy.resource_rules():
        assert not policy.check(ctx, rule.name), rule.name
        with pytest.raises(exceptions.PolicyNotAuthorized) as refused:
            policy.authorize(ctx, rule.name)
        assert str(refused.value) == DENIED.format(rule.name)
    project_admin = RequestContext(
        user_id="admin", project_id="admin-project", roles=ctx.roles, is_admin=True
    )
    assert policy.check(project_admin, "cluster:get_all_all_projects")


def test_the_scope_reaches_oslo_policy_and_invalid_scope_is_a_denial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = _system_admin()
    with pytest.raises(oslo_policy.InvalidScope):
        policy.enforcer().enforce("cluster:create", {}, policy._credentials(ctx), do_raise=True)

    def raise_invalid_scope(*args: Any, **kwargs: Any) -> bool:
        raise oslo_policy.InvalidScope("cluster:create", ["project"], "system")

    monkeypatch.setattr(policy.enforcer(), "enforce", raise_invalid_scope)
    assert policy.check(ctx, "cluster:create") is False
    with pytest.raises(exceptions.PolicyNotAuthorized, match="cluster:create"):
        policy.authorize(ctx, "cluster:create")


def test_a_caller_without_project_never_matches_the_old_owner_rule(old_defaults: None) -> None:
    # An unscoped token: no project, no roles. "project_id:%(project_id)s" must not
    # match None against None.
    ctx = RequestContext(user_id="someone")
    for rule in ("clustertemplate:create", "cluster:get_all", "quota:get"):
        assert not policy.check(ctx, rule), rule
    owner = RequestContext(user_id="someone", project_id="project-a")
    assert policy.check(owner, "clustertemplate:create")


def test_keystone_headers_set_the_scope() -> None:
    system = keystone._context(
        {
            "HTTP_X_USER_ID": "cloud-admin",
            "HTTP_X_ROLES": "admin",
            "HTTP_OPENSTACK_SYSTEM_SCOPE": "all",
        },
        "req-1",
    )
    assert (system.system_scope, system.project_id, system.is_admin) == ("all", None, True)
    assert not policy.check(system, "cluster:get_all")
    domain = keystone._context(
        {"HTTP_X_USER_ID": "u", "HTTP_X_ROLES": "admin", "HTTP_X_DOMAIN_ID": "default"}, "req-2"
    )
    assert domain.domain_scope == "default"
    assert not policy.check(domain, "cluster:get_all")
    project = keystone._context(
        {
            "HTTP_X_USER_ID": "u",
            "HTTP_X_ROLES": "member",
            "HTTP_X_PROJECT_ID": "project-a",
            "HTTP_X_USER_DOMAIN_ID": "default",
            "HTTP_OPENSTACK_SYSTEM_SCOPE": None,  # what auth_token leaves for project tokens
            "HTTP_X_DOMAIN_ID": None,
        },
        "req-3",
    )
    assert (project.system_scope, project.domain_scope, project.domain_id) == (
        None,
        None,
        "default",
    )
    assert policy.check(project, "cluster:create")
    # A valid service token's headers overwrite OpenStack-System-Scope: the user's
    # own token data decides.
    for user_is_system, header in ((True, None), (False, "all")):
        ctx = keystone._context(
            {
                "HTTP_X_USER_ID": "u",
                "HTTP_X_ROLES": "admin",
                "HTTP_OPENSTACK_SYSTEM_SCOPE": header,
                "keystone.token_auth": SimpleNamespace(
                    user=SimpleNamespace(system_scoped=user_is_system)
                ),
            },
            "req-4",
        )
        assert ctx.system_scope == ("all" if user_is_system else None)


def test_a_system_scoped_admin_gets_403s_not_500s(client: TestClient, alice: Api) -> None:
    template = create_template(alice)
    record_casts()
    cluster = create_cluster(alice, template["uuid"]).json()["uuid"]
    client.app.dependency_overrides[auth.context_from] = _system_admin  # type: ignore[attr-defined]
    try:
        admin = Api(client, "cloud-admin")
        legacy = admin.at("1.1")
        forbidden = {
            ("GET", "/v1/clusters"): "cluster:get_all",
            ("GET", "/v1/clusters/detail"): "cluster:detail",
            ("GET", f"/v1/clusters/{cluster}"): "cluster:get_one_all_projects",
            ("PATCH", f"/v1/clusters/{cluster}"): "cluster:update_all_projects",
            ("DELETE", f"/v1/clusters/{cluster}"): "cluster:delete_all_projects",
            ("GET", "/v1/clustertemplates"): "clustertemplate:get_all",
            ("GET", "/v1/clustertemplates/detail"): "clustertemplate:detail",
            ("GET", f"/v1/clustertemplates/{template['uuid']}"): (
                "clustertemplate:get_one_all_projects"
            ),
            ("POST", "/v1/clustertemplates"): "clustertemplate:create",
            ("DELETE", f"/v1/clustertemplates/{template['uuid']}"): (
                "clustertemplate:delete_all_projects"
            ),
            ("GET", f"/v1/clusters/{cluster}/nodegroups"): "nodegroup:get_all",
            ("GET", "/v1/quotas"): "quota:get_all",
            ("GET", "/v1/quotas/project-a/Cluster"): "quota:get",
            ("GET", "/v1/stats"): "stats:get_all",
            ("GET", "/v1/mservices"): "magnum-service:get_all",
            ("GET", "/v1/catalog"): "catalog:get",
            ("GET", "/v1/federations"): "federation:get_all",
            ("POST", "/v1/federations"): "federation:create",
        }
        for (method, path), rule in forbidden.items():
            body: Any = [{"op": "replace", "path": "/node_count", "value": 2}]
            if method == "POST":
                body = template_body() if "templates" in path else {"name": "f"}
            response = admin.request(method, path, json=body)
            assert_error(response, 403, DENIED.format(rule))
        assert_error(legacy.get("/v1/bays"), 403, DENIED.format("bay:get_all"))
        assert_error(legacy.get("/v1/baymodels"), 403, DENIED.format("baymodel:get_all"))
        # Looked up before the policy check, as in Magnum: not visible without a project.
        assert create_cluster(admin, template["uuid"]).status_code == 404
        for path in (f"/v1/certificates/{cluster}", f"/v1/clusters/{cluster}/nodegroups/worker"):
            assert admin.get(path).status_code in (403, 404), path
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert alice.get(f"/v1/clusters/{cluster}").status_code == 200
