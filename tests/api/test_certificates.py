"""``/v1/certificates``: show the cluster CA, sign CSRs, rotate the CA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from moorage.certs.authority import is_signed_by
from moorage.db import models
from moorage.db.session import transaction
from moorage.drivers.base import Driver
from moorage.objects.status import Status
from tests.api.conftest import Api, assert_error, wait_for
from tests.api.test_clusters import running_cluster, wait_status
from tests.support import factories, fake_driver
from tests.unit.test_certs import make_csr

MakeCluster = Callable[..., models.Cluster]


@pytest.fixture(scope="module")
def user_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def csr(user_key: rsa.RSAPrivateKey) -> str:
    return make_csr(user_key)


@pytest.fixture
def make(alice: Api) -> MakeCluster:
    """Clusters straight into the DB (needs the app's DB, hence ``alice``)."""
    return factories.cluster


@pytest.fixture
def cluster(make: MakeCluster) -> models.Cluster:
    return make("project-a", "alice", name="c1")


def db_cluster(uuid: str) -> models.Cluster:
    with transaction() as session:
        row = session.scalar(select(models.Cluster).where(models.Cluster.uuid == uuid))
        assert row is not None
        return row


def ca_pem(uuid: str) -> str:
    with transaction() as session:
        ref = db_cluster(uuid).ca_cert_ref
        row = session.scalar(select(models.X509KeyPair).where(models.X509KeyPair.uuid == ref))
        assert row is not None
        return row.certificate


@pytest.fixture(autouse=True)
def no_private_key_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response in these tests, errors included, is checked for private keys."""
    send = Api.request

    def checked(self: Api, method: str, path: str, **kwargs: Any) -> Any:
        response = send(self, method, path, **kwargs)
        assert "PRIVATE KEY" not in response.text, f"{method} {path}"
        return response

    monkeypatch.setattr(Api, "request", checked)


def no_private_key(response: Any) -> Any:
    """Marks where a key would be most at risk (the autouse fixture does the checking)."""
    assert "PRIVATE KEY" not in response.text
    return response


# --- GET ---------------------------------------------------------------------------------


def test_show_ca(alice: Api, cluster: models.Cluster) -> None:
    response = no_private_key(alice.get(f"/v1/certificates/{cluster.uuid}"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"cluster_uuid", "pem", "links"}
    assert body["cluster_uuid"] == cluster.uuid
    assert body["pem"] == ca_pem(cluster.uuid).rstrip("\n")
    assert body["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert body["pem"].endswith("-----END CERTIFICATE-----")
    assert body["links"] == [
        {"href": f"http://testserver/v1/certificates/{cluster.uuid}", "rel": "self"},
        {"href": f"http://testserver/certificates/{cluster.uuid}", "rel": "bookmark"},
    ]
    by_name = alice.get("/v1/certificates/c1/").json()
    assert by_name == body


@pytest.mark.parametrize("kind", ["etcd", "front_proxy", "front-proxy", "other"])
def test_every_ca_type_is_the_one_cluster_ca(
    alice: Api, cluster: models.Cluster, kind: str
) -> None:
    main = alice.get(f"/v1/certificates/{cluster.uuid}").json()["pem"]
    response = alice.get(f"/v1/certificates/{cluster.uuid}?ca_cert_type={kind}")
    assert response.status_code == 200, response.text
    assert response.json()["pem"] == main


def test_show_needs_the_creating_user(
    alice: Api, as_user: Callable[[str], Api], make: MakeCluster, cluster: models.Cluster
) -> None:
    denied = "Policy doesn't allow certificate:get to be performed."
    assert_error(as_user("alice2").get(f"/v1/certificates/{cluster.uuid}"), 403, denied)
    assert_error(as_user("ann").get(f"/v1/certificates/{cluster.uuid}"), 403, denied)
    anns = make("project-a", "ann", name="anns")
    assert as_user("ann").get(f"/v1/certificates/{anns.uuid}").status_code == 200


def test_show_other_project(
    bob: Api, admin: Api, make: MakeCluster, cluster: models.Cluster
) -> None:
    missing = f"Cluster {cluster.uuid} could not be found."
    assert_error(bob.get(f"/v1/certificates/{cluster.uuid}"), 404, missing)
    # No cross-project view for admins on this route, as in Magnum.
    assert_error(admin.get(f"/v1/certificates/{cluster.uuid}"), 404, missing)
    own = make("admin-project", "someone-else", name="adm")
    assert admin.get(f"/v1/certificates/{own.uuid}").status_code == 200


def test_show_unknown(alice: Api) -> None:
    assert_error(alice.get("/v1/certificates/nope"), 404, "Cluster nope could not be found.")
    response = alice.get("/v1/certificates/nope?foo=1")
    assert_error(response, 400, 'Unknown argument: "foo"')


def test_before_the_ca_exists(alice: Api, make: MakeCluster, csr: str) -> None:
    bare = make("project-a", "alice", name="bare", status=Status.CREATE_IN_PROGRESS, with_ca=False)
    missing = f"Certificate for cluster {bare.uuid} could not be found."
    assert_error(alice.get(f"/v1/certificates/{bare.uuid}"), 404, missing)
    assert_error(alice.post("/v1/certificates", {"cluster_uuid": "bare", "csr": csr}), 404, missing)


# --- POST --------------------------------------------------------------------------------


def test_sign(alice: Api, cluster: models.Cluster, csr: str) -> None:
    response = no_private_key(
        alice.post("/v1/certificates", {"cluster_uuid": cluster.uuid, "csr": csr})
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"cluster_uuid", "csr", "pem", "links"}
    assert body["cluster_uuid"] == cluster.uuid
    assert body["csr"] == csr
    assert not body["pem"].endswith("\n")
    assert is_signed_by(body["pem"], ca_pem(cluster.uuid))
    cert = x509.load_pem_x509_certificate(body["pem"].encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "system:masters"
    )
    assert cert.issuer.rfc4514_string() == "CN=c1"
    assert body["links"][0]["href"] == f"http://testserver/v1/certificates/{cluster.uuid}"


def test_sign_by_name_bay_alias_and_ca_type(alice: Api, cluster: models.Cluster, csr: str) -> None:
    by_name = alice.post("/v1/certificates", {"cluster_uuid": "c1", "csr": csr, "pem": "x"})
    assert by_name.status_code == 201, by_name.text
    assert by_name.json()["cluster_uuid"] == cluster.uuid
    legacy = alice.post("/v1/certificates", {"bay_uuid": cluster.uuid, "csr": csr})
    assert legacy.status_code == 201, legacy.text
    assert legacy.json()["cluster_uuid"] == cluster.uuid
    etcd = alice.post(
        "/v1/certificates", {"cluster_uuid": cluster.uuid, "csr": csr, "ca_cert_type": "etcd"}
    )
    assert etcd.status_code == 201, etcd.text
    assert etcd.json()["ca_cert_type"] == "etcd"
    assert is_signed_by(etcd.json()["pem"], ca_pem(cluster.uuid))


def test_sign_input_errors(
    alice: Api, cluster: models.Cluster, csr: str, user_key: rsa.RSAPrivateKey
) -> None:
    post = lambda body: alice.post("/v1/certificates", body)  # noqa: E731
    assert_error(
        post({"cluster_uuid": "nope", "csr": csr}), 400, "Cluster nope could not be found."
    )
    assert_error(
        post({"csr": csr}),
        400,
        "Invalid input for field/attribute cluster_uuid. Value: 'None'. Mandatory field missing.",
    )
    assert_error(
        post({"cluster_uuid": cluster.uuid}),
        400,
        "Invalid input for field/attribute csr. Value: 'None'. Mandatory field missing.",
    )
    assert_error(
        post({"cluster_uuid": cluster.uuid, "csr": ""}),
        400,
        "Invalid input for field/attribute csr. Value: ''. "
        "Value should have a minimum character requirement of 1",
    )
    assert_error(
        post({"cluster_uuid": cluster.uuid, "csr": "garbage"}),
        400,
        "Received invalid csr 'garbage'.",
    )
    assert_error(
        post({"cluster_uuid": cluster.uuid, "csr": csr, "foo": 1}),
        400,
        "Unknown attribute for argument certificate: foo",
    )
    critical = make_csr(user_key, (x509.OCSPNoCheck(), True))
    assert_error(
        post({"cluster_uuid": cluster.uuid, "csr": critical}),
        400,
        "Extension 'OCSPNoCheck' not allowed",
    )


def test_sign_policy(
    alice: Api,
    bob: Api,
    admin: Api,
    as_user: Callable[[str], Api],
    make: MakeCluster,
    cluster: models.Cluster,
    csr: str,
) -> None:
    body = {"cluster_uuid": cluster.uuid, "csr": csr}
    denied = "Policy doesn't allow certificate:create to be performed."
    assert_error(as_user("alice2").post("/v1/certificates", body), 403, denied)
    anns = make("project-a", "ann", name="anns")
    # A reader who created the cluster may see its CA but not get a certificate.
    assert_error(
        as_user("ann").post("/v1/certificates", {"cluster_uuid": anns.uuid, "csr": csr}),
        403,
        denied,
    )
    missing = f"Cluster {cluster.uuid} could not be found."
    assert_error(bob.post("/v1/certificates", body), 400, missing)
    assert_error(admin.post("/v1/certificates", body), 400, missing)


# --- PATCH (CA rotation) -------------------------------------------------------------------


def wait_settled(uuid: str) -> models.Cluster:
    return wait_for(lambda: (c := db_cluster(uuid)).status == Status.UPDATE_COMPLETE and c)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "application/json"}, {"Content-Type": "application/octet-stream"}],
    ids=["no-content-type", "json", "octet-stream"],
)
def test_rotate_ca(alice: Api, cluster: models.Cluster, csr: str, headers: dict[str, str]) -> None:
    old_ca = alice.get(f"/v1/certificates/{cluster.uuid}").json()["pem"]
    old_client = alice.post("/v1/certificates", {"cluster_uuid": cluster.uuid, "csr": csr})
    old_cert = old_client.json()["pem"]
    old_magnum_ref = cluster.magnum_cert_ref
    assert is_signed_by(old_cert, old_ca)

    response = no_private_key(
        alice.request("PATCH", f"/v1/certificates/{cluster.uuid}", content=b"", headers=headers)
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": cluster.uuid}

    new_ca = alice.get(f"/v1/certificates/{cluster.uuid}").json()["pem"]
    assert new_ca != old_ca
    assert not is_signed_by(old_cert, new_ca)
    settled = wait_settled(cluster.uuid)
    assert settled.status_reason is None
    assert settled.magnum_cert_ref != old_magnum_ref
    assert ("rotate ca", cluster.uuid) in fake_driver.FakeDriver.calls
    new_cert = alice.post("/v1/certificates", {"cluster_uuid": cluster.uuid, "csr": csr})
    assert is_signed_by(new_cert.json()["pem"], new_ca)
    assert not is_signed_by(new_cert.json()["pem"], old_ca)


def test_rotate_ca_bodies(alice: Api, cluster: models.Cluster) -> None:
    path = f"/v1/certificates/{cluster.uuid}"
    octet = alice.request(
        "PATCH", path, content=b"\x00\x01", headers={"Content-Type": "application/octet-stream"}
    )
    assert octet.status_code == 202, octet.text
    wait_settled(cluster.uuid)
    text = alice.request("PATCH", path, content=b"hi", headers={"Content-Type": "text/plain"})
    assert_error(text, 415, "Unknown mimetype: text/plain")
    bad = alice.request(
        "PATCH", path, content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(bad, 400, "Request is not in valid JSON format")


def test_rotate_ca_is_not_version_gated(alice: Api, cluster: models.Cluster) -> None:
    response = alice.at("1.1").patch(f"/v1/certificates/{cluster.uuid}")
    assert response.status_code == 202, response.text
    wait_settled(cluster.uuid)


def test_rotate_ca_refusals(
    alice: Api,
    bob: Api,
    as_user: Callable[[str], Api],
    make: MakeCluster,
    cluster: models.Cluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = make("project-a", "alice", name="plain", tls_disabled=True)
    assert_error(
        alice.patch(f"/v1/certificates/{plain.uuid}"),
        400,
        "Rotating the CA certificate on a non-TLS cluster is not supported",
    )
    busy = make("project-a", "alice", name="busy", status=Status.CREATE_IN_PROGRESS)
    assert_error(
        alice.patch(f"/v1/certificates/{busy.uuid}"),
        400,
        'Updating a cluster when status is "CREATE_IN_PROGRESS" is not supported.',
    )
    assert_error(
        as_user("ann").patch(f"/v1/certificates/{cluster.uuid}"),
        403,
        "Policy doesn't allow certificate:rotate_ca to be performed.",
    )
    assert_error(
        bob.patch(f"/v1/certificates/{cluster.uuid}"),
        404,
        f"Cluster {cluster.uuid} could not be found.",
    )
    monkeypatch.setattr(
        fake_driver.FakeDriver, "rotate_ca_certificate", Driver.rotate_ca_certificate
    )
    before = ca_pem(cluster.uuid)
    assert_error(
        alice.patch(f"/v1/certificates/{cluster.uuid}"),
        400,
        "'rotate_ca_certificate' is not supported by this driver.",
    )
    assert ca_pem(cluster.uuid) == before
    assert db_cluster(cluster.uuid).status == Status.CREATE_COMPLETE


def test_rotate_ca_by_another_member(
    as_user: Callable[[str], Api], cluster: models.Cluster
) -> None:
    """Rotation needs a project member, not the creating user."""
    response = as_user("alice2").patch("/v1/certificates/c1")
    assert response.status_code == 202, response.text
    assert response.json() == {"uuid": cluster.uuid}
    wait_settled(cluster.uuid)


# --- through the cluster routes and the conductor -------------------------------------------


def test_cluster_made_by_the_api(alice: Api, csr: str) -> None:
    """What ``openstack coe ca show/sign/rotate`` do on a cluster the conductor built."""
    cluster = running_cluster(alice)
    uuid = cluster["uuid"]
    ca = no_private_key(alice.get(f"/v1/certificates/{uuid}")).json()["pem"]
    signed = no_private_key(alice.post("/v1/certificates", {"cluster_uuid": uuid, "csr": csr}))
    assert is_signed_by(signed.json()["pem"], ca)
    assert alice.patch(f"/v1/certificates/{uuid}").status_code == 202
    wait_status(alice, f"/v1/clusters/{uuid}", "UPDATE_COMPLETE")
    assert not is_signed_by(
        signed.json()["pem"], alice.get(f"/v1/certificates/{uuid}").json()["pem"]
    )
    assert alice.delete(f"/v1/clusters/{uuid}").status_code == 204
    wait_for(lambda: alice.get(f"/v1/clusters/{uuid}").status_code == 404)
    assert_error(alice.get(f"/v1/certificates/{uuid}"), 404, f"Cluster {uuid} could not be found.")
    with transaction() as session:
        assert session.scalars(select(models.X509KeyPair)).all() == []
