"""Cluster template routes (api.md §6)."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest

from moorage.config import CONF
from moorage.db import models
from moorage.db.session import transaction
from tests.api.conftest import Api, assert_error, template_body


def _count() -> int:
    with transaction() as s:
        return s.query(models.ClusterTemplate).count()


def _create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/clustertemplates", template_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_and_show(alice: Api) -> None:
    response = alice.post("/v1/clustertemplates", template_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body) == 36
    assert body["cluster_distro"] == "fakeos"
    assert body["network_driver"] == "docker"
    assert body["driver"] == "fake_test_driver"
    assert (body["project_id"], body["user_id"]) == ("project-a", "alice")
    assert (body["server_type"], body["public"], body["floating_ip_enabled"]) == ("vm", False, True)
    assert response.headers["Location"].endswith(f"/v1/clustertemplates/{body['uuid']}")
    assert body["links"][1]["href"].endswith(f"/clustertemplates/{body['uuid']}")
    assert alice.get(f"/v1/clustertemplates/{body['uuid']}").json() == body
    assert alice.get("/v1/clustertemplates/tpl").json()["uuid"] == body["uuid"]


def test_generated_name_labels_as_strings_and_given_uuid(alice: Api) -> None:
    given = str(uuidlib.uuid4())
    body = _create(alice, name=None, uuid=given, labels={"a": 1, "b": True, "c": 1.5})
    assert body["name"].endswith("-template") and body["uuid"] == given
    assert body["labels"] == {"a": "1", "b": "True", "c": "1.5"}
    assert_error(
        alice.post("/v1/clustertemplates", template_body(uuid=given)),
        409,
        f"A ClusterTemplate with UUID {given} already exists.",
    )


def test_null_for_every_optional_field_is_accepted(alice: Api) -> None:
    nulls = {
        k: None
        for k in (
            "keypair_id",
            "fixed_network",
            "fixed_subnet",
            "network_driver",
            "volume_driver",
            "dns_nameserver",
            "docker_volume_size",
            "http_proxy",
            "https_proxy",
            "no_proxy",
            "labels",
            "insecure_registry",
        )
    }
    assert _create(alice, **nulls)["network_driver"] == "docker"


def test_null_flavor_is_refused_as_magnum_does(alice: Api) -> None:
    """`openstack coe cluster template create` without --master-flavor sends null: Magnum
    looks that flavor up for the root-disk rule (boot_volume_size 0) and finds no "None"."""
    none = "Unable to find flavor None."
    for key in ("master_flavor_id", "flavor_id"):
        assert_error(alice.post("/v1/clustertemplates", template_body(**{key: None})), 400, none)
    assert _count() == 0
    booted = _create(alice, master_flavor_id=None, labels={"boot_volume_size": "10"})
    assert booted["master_flavor_id"] is None
    absent = template_body()
    del absent["master_flavor_id"]  # a key not sent is not checked
    response = alice.post("/v1/clustertemplates", absent)
    assert response.status_code == 201, response.text


def test_patch_checks_both_flavors_as_magnum_does(alice: Api) -> None:
    body = template_body()
    del body["master_flavor_id"]
    created = alice.post("/v1/clustertemplates", body).json()
    op = {"op": "replace", "path": "/docker_volume_size", "value": 5}
    assert_error(_patch(alice, created["uuid"], op), 400, "Unable to find flavor None.")
    assert alice.get(f"/v1/clustertemplates/{created['uuid']}").json() == created
    add = {"op": "add", "path": "/master_flavor_id", "value": "m1.small"}
    assert _patch(alice, created["uuid"], add, op).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "detail"),
    [
        ({"foo": 1}, 400, "Unknown attribute for argument cluster_template: foo"),
        ({"foo": 1, "bar": 2}, 400, "Unknown attributes for argument cluster_template: bar, foo"),
        (
            {"image_id": None},
            400,
            "Invalid input for field/attribute image_id. Value: 'None'. Mandatory field missing.",
        ),
        ({"coe": None}, 400, "Requested COE type Unset is not supported."),
        (
            {"coe": "mesos"},
            400,
            "Invalid input for field/attribute coe. Value: 'mesos'. Value should be one of: kubernetes, swarm-mode",
        ),
        (
            {"server_type": "x"},
            400,
            "Invalid input for field/attribute server_type. Value: 'x'. Value should be one of: vm, bm",
        ),
        (
            {"project_id": "p"},
            400,
            "Invalid input for field/attribute project_id. Value: 'p'. Cannot set read only field.",
        ),
        (
            {"name": ""},
            400,
            "Invalid input for field/attribute name. Value: ''. Value should have a minimum character requirement of 1",
        ),
        (
            {"docker_volume_size": 0},
            400,
            "Invalid input for field/attribute docker_volume_size. Value: '0'. Value should be greater or equal to 1",
        ),
        (
            {"apiserver_port": 80},
            400,
            "Invalid input for field/attribute apiserver_port. Value: '80'. Value should be greater or equal to 1024",
        ),
        (
            {"network_driver": "calico"},
            400,
            "Network driver type calico is not supported, expecting a docker/flannel/unspecified network driver.",
        ),
        (
            {"volume_driver": "cinder"},
            400,
            "Volume driver type cinder is not supported, expecting a rexray/unspecified volume driver.",
        ),
        (
            {"docker_storage_driver": "devicemapper", "docker_volume_size": 2},
            400,
            "docker volume size 2 GB is not valid, expecting minimum value 3GB for devicemapper storage driver.",
        ),
        ({"driver": "nope"}, 400, "Cluster driver (nope) not supported."),
        ({"server_type": "bm"}, 400, "Cluster type (bm, fakeos, swarm-mode) not supported."),
        ({"image_id": "nope"}, 400, "Image nope could not be found."),
        ({"flavor_id": "huge"}, 400, "Unable to find flavor huge."),
        ({"external_network_id": "elsewhere"}, 400, "Unable to find external network elsewhere."),
        ({"fixed_network": "net0"}, 400, "Unable to find fixed network net0."),
        (
            {"dns_nameserver": "8.8.8.8,nope"},
            400,
            "Expected a single dns address or comma separated dns list, but received 8.8.8.8,nope.",
        ),
        (
            {"public": True},
            403,
            "Not authorized to set public or hidden flag for cluster template.",
        ),
        (
            {"hidden": True},
            403,
            "Not authorized to set public or hidden flag for cluster template.",
        ),
        ({"flavor_id": "m1.tiny", "labels": {"boot_volume_size": "0"}}, 201, None),
    ],
)
def test_create_validation(
    alice: Api, overrides: dict[str, Any], status: int, detail: str | None
) -> None:
    before = _count()
    response = alice.post("/v1/clustertemplates", template_body(**overrides))
    if status == 201:
        assert response.status_code == 201
        return
    assert_error(response, status, detail)
    assert _count() == before


def test_zero_root_disk_flavor_needs_a_boot_volume(alice: Api) -> None:
    CONF.set_override("flavors", ["m1.small:1:1024:10", "diskless:1:512:0"], group="catalog")
    try:
        assert_error(
            alice.post("/v1/clustertemplates", template_body(flavor_id="diskless")),
            400,
            "Flavor with zero root volume size is not supported when boot_volume_size is zero.",
        )
        _create(alice, flavor_id="diskless", labels={"boot_volume_size": "10"})
    finally:
        CONF.clear_override("flavors", group="catalog")


def test_kubernetes_network_driver_rules(alice: Api) -> None:
    assert _create(alice, coe="kubernetes")["network_driver"] == "flannel"
    assert_error(
        alice.post(
            "/v1/clustertemplates", template_body(coe="kubernetes", network_driver="cilium")
        ),
        400,
        "Network driver type cilium is not allowed, expecting a flannel/calico/unspecified network driver. ",
    )


def test_visibility(alice: Api, bob: Api, admin: Api) -> None:
    private = _create(alice)["uuid"]
    public = _create(admin, name="pub", public=True)["uuid"]
    hidden = _create(admin, name="hid", public=True, hidden=True)["uuid"]
    assert_error(
        bob.get(f"/v1/clustertemplates/{private}"),
        404,
        f"ClusterTemplate {private} could not be found.",
    )
    assert [t["uuid"] for t in bob.get("/v1/clustertemplates").json()["clustertemplates"]] == [
        public
    ]
    assert_error(bob.get(f"/v1/clustertemplates/{hidden}"), 404)
    assert {
        t["uuid"] for t in admin.get("/v1/clustertemplates/detail").json()["clustertemplates"]
    } == {private, public, hidden}
    assert admin.get(f"/v1/clustertemplates/{private}").status_code == 200


def test_ambiguous_name(alice: Api) -> None:
    _create(alice, name="same")
    _create(alice, name="same")
    assert_error(
        alice.get("/v1/clustertemplates/same"),
        409,
        "Multiple clustertemplates exist with same name 'same'. Please use the clustertemplate UUID instead.",
    )


def test_reader_can_list_but_not_create(as_user: Any) -> None:
    ann = as_user("ann")
    assert ann.get("/v1/clustertemplates").status_code == 200
    assert_error(
        ann.post("/v1/clustertemplates", template_body()),
        403,
        "Policy doesn't allow clustertemplate:create to be performed.",
    )


def _patch(api: Api, ident: str, *ops: dict[str, Any]) -> Any:
    return api.patch(f"/v1/clustertemplates/{ident}", list(ops))


def test_patch_applies_and_validates(alice: Api) -> None:
    uuid = _create(alice)["uuid"]
    body = _patch(
        alice,
        uuid,
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/labels/k", "value": "v"},
    ).json()
    assert (body["name"], body["labels"]) == ("renamed", {"k": "v"})
    assert body["updated_at"] is not None
    literal = _patch(
        alice, uuid, {"op": "replace", "path": "/labels", "value": "{'a': 'b', 'n': 2}"}
    ).json()
    assert literal["labels"] == {"a": "b", "n": "2"}


@pytest.mark.parametrize(
    ("op", "detail"),
    [
        (
            {"op": "replace", "path": "/uuid", "value": "x"},
            "'/uuid' is an internal attribute and can not be updated",
        ),
        (
            {"op": "remove", "path": "/image_id"},
            "'/image_id' is a mandatory attribute and can not be removed",
        ),
        (
            {"op": "add", "path": "/name", "value": "x"},
            "The attribute /name has existed, please use 'replace' operation instead.",
        ),
        (
            {"op": "add", "path": "/nope", "value": "x"},
            "Adding a new attribute /nope to the root of the resource is not allowed.",
        ),
        ({"op": "replace", "path": "/name"}, "'add' and 'replace' operations needs value"),
        (
            {"op": "move", "path": "/name", "value": "x"},
            "Invalid input for field/attribute op. Value: 'move'. Value should be one of: add, replace, remove",
        ),
        ({"op": "replace", "path": "/docker_volume_size", "value": "7"}, None),
        (
            {"op": "replace", "path": "/network_driver", "value": "calico"},
            "Network driver type calico is not supported, expecting a docker/flannel/unspecified network driver.",
        ),
        ({"op": "replace", "path": "/flavor_id", "value": "huge"}, "Unable to find flavor huge."),
        # Every check POST runs: the driver, coe, image, networks and labels too.
        (
            {"op": "replace", "path": "/driver", "value": "evil"},
            "Cluster driver (evil) not supported.",
        ),
        (
            {"op": "replace", "path": "/image_id", "value": "busybox"},
            "Image busybox could not be found.",
        ),
        (
            {"op": "replace", "path": "/external_network_id", "value": "private"},
            "Unable to find external network private.",
        ),
        (
            {"op": "add", "path": "/labels/boot_volume_size", "value": "big"},
            "Label boot_volume_size must be an integer, got big.",
        ),
        (
            {"op": "replace", "path": "/public", "value": True},
            "Not authorized to set public or hidden flag for cluster template.",
        ),
    ],
)
def test_patch_refusals(alice: Api, op: dict[str, Any], detail: str | None) -> None:
    created = _create(alice)
    response = _patch(alice, created["uuid"], op)
    status = 403 if "public" in op["path"] else 400
    error = assert_error(response, status, detail)
    if detail is None:
        assert error["detail"].startswith(
            "Invalid input for field/attribute docker_volume_size. Value: '7'."
        )
    assert alice.get(f"/v1/clustertemplates/{created['uuid']}").json() == created


def test_patch_non_list_body_is_400_before_lookup(alice: Api) -> None:
    missing = str(uuidlib.uuid4())
    error = assert_error(alice.patch(f"/v1/clustertemplates/{missing}", {"op": "replace"}), 400)
    assert error["detail"].startswith("Invalid input for field/attribute patch.")


def test_admin_cannot_patch_another_projects_private_template(alice: Api, admin: Api) -> None:
    uuid = _create(alice)["uuid"]
    assert_error(
        _patch(admin, uuid, {"op": "replace", "path": "/name", "value": "x"}),
        404,
        f"ClusterTemplate {uuid} could not be found.",
    )


def test_other_projects_public_template_cannot_be_changed(alice: Api, admin: Api) -> None:
    uuid = _create(admin, public=True)["uuid"]
    assert_error(
        _patch(alice, uuid, {"op": "replace", "path": "/name", "value": "x"}),
        403,
        "Policy doesn't allow clustertemplate:update to be performed.",
    )


def _reference(template_uuid: str) -> None:
    with transaction() as s:
        s.add(
            models.Cluster(
                uuid=str(uuidlib.uuid4()), project_id="project-b", cluster_template_id=template_uuid
            )
        )


def test_referenced_template_rules(admin: Api) -> None:
    uuid = _create(admin)["uuid"]
    _reference(uuid)
    referenced = f"ClusterTemplate {uuid} is referenced by one or multiple clusters."
    assert_error(
        _patch(admin, uuid, {"op": "replace", "path": "/flavor_id", "value": "m1.large"}),
        400,
        referenced,
    )
    assert _patch(admin, uuid, {"op": "replace", "path": "/name", "value": "n"}).status_code == 200
    assert (
        _patch(admin, uuid, {"op": "replace", "path": "/tags", "value": "a,b"}).status_code == 200
    )
    assert (
        _patch(admin, uuid, {"op": "replace", "path": "/hidden", "value": True}).status_code == 200
    )
    assert_error(admin.delete(f"/v1/clustertemplates/{uuid}"), 400, referenced)


def test_delete(alice: Api, bob: Api) -> None:
    uuid = _create(alice)["uuid"]
    assert_error(bob.delete(f"/v1/clustertemplates/{uuid}"), 404)
    response = alice.delete(f"/v1/clustertemplates/{uuid}")
    assert response.status_code == 204 and response.content == b""
    assert_error(alice.get(f"/v1/clustertemplates/{uuid}"), 404)


def test_an_uppercase_uuid_is_stored_in_lowercase(alice: Api) -> None:
    given = "5D12F6FD-A196-4BF0-AE4C-1F639A523A52"
    body = alice.post("/v1/clustertemplates", template_body(uuid=given)).json()
    assert body["uuid"] == given.lower()
    for ident in (given, given.lower()):
        assert alice.get(f"/v1/clustertemplates/{ident}").json()["uuid"] == given.lower()
