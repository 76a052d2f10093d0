"""``moorage cluster config`` and ``moorage ca ...``: real certificates from the cluster's CA."""

from __future__ import annotations

import base64
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from moorage.client import pki
from tests.cli.conftest import Cli
from tests.support.live import LiveServer

MakeCluster = Callable[..., str]


def assert_signed_by(cert_pem: bytes, ca_pem: bytes) -> x509.Certificate:
    cert = x509.load_pem_x509_certificate(cert_pem)
    ca = x509.load_pem_x509_certificate(ca_pem)
    assert cert.issuer == ca.subject
    key = ca.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert cert.signature_hash_algorithm is not None
    key.verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        cert.signature_hash_algorithm,
    )
    return cert


def assert_key_matches(key_pem: bytes, cert: x509.Certificate) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(key_pem, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]


def subject(cert: x509.Certificate) -> tuple[str, str]:
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    return str(cn), str(org)


def ca_of(cli: Cli, cluster: str) -> bytes:
    result = cli("ca", "show", cluster)
    assert result.code == 0, result.err
    return result.out.encode()


def test_swarm_config_writes_private_files_signed_by_the_cluster_ca(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("cfg-swarm")
    target = tmp_path / "certs"
    result = cli("cluster", "config", "cfg-swarm", "--dir", str(target))
    assert result.code == 0, result.err
    api = cli("-f", "json", "cluster", "show", "cfg-swarm").json()["api_address"]
    assert api.startswith("tcp://127.0.0.1:")
    assert result.out == (
        f"export DOCKER_HOST={api} DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={target.resolve()}\n"
    )
    assert sorted(p.name for p in target.iterdir()) == ["ca.pem", "cert.pem", "key.pem"]
    for path in target.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    ca_pem = (target / "ca.pem").read_bytes()
    assert ca_pem.strip() == ca_of(cli, "cfg-swarm").strip()
    cert = assert_signed_by((target / "cert.pem").read_bytes(), ca_pem)
    assert subject(cert) == ("admin", "system:masters")
    assert_key_matches((target / "key.pem").read_bytes(), cert)


def test_config_again_reuses_the_files_of_the_same_cluster(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    """``eval $(moorage cluster config ...)`` run a second time sets the same settings."""
    make_cluster("cfg-again")
    first = cli("cluster", "config", "cfg-again", "--dir", str(tmp_path))
    assert first.code == 0, first.err
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = cli("cluster", "config", "cfg-again", "--dir", str(tmp_path))
    assert (again.code, again.out) == (0, first.out), again.err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old  # nothing re-signed


def test_config_refuses_files_of_another_cluster_without_force(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("cfg-mine")
    make_cluster("cfg-other")
    assert cli("cluster", "config", "cfg-other", "--dir", str(tmp_path)).code == 0
    old = (tmp_path / "cert.pem").read_bytes()
    (tmp_path / "key.pem").chmod(0o644)
    again = cli("cluster", "config", "cfg-mine", "--dir", str(tmp_path))
    assert again.code == 1
    assert again.out == ""  # nothing that eval could run
    assert again.err.startswith(f"ERROR: {tmp_path / 'ca.pem'}, {tmp_path / 'cert.pem'}")
    assert again.err.rstrip().endswith(
        "already exist(s) and are not credentials of cluster cfg-mine; use --force to overwrite"
    )
    assert (tmp_path / "cert.pem").read_bytes() == old
    forced = cli("cluster", "config", "cfg-mine", "--dir", str(tmp_path), "--force")
    assert forced.code == 0, forced.err
    assert_signed_by((tmp_path / "cert.pem").read_bytes(), ca_of(cli, "cfg-mine"))
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600


def test_config_with_half_the_files_or_a_broken_one_refuses(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("cfg-half")
    assert cli("cluster", "config", "cfg-half", "--dir", str(tmp_path)).code == 0
    (tmp_path / "key.pem").write_text("not a key\n")
    broken = cli("cluster", "config", "cfg-half", "--dir", str(tmp_path))
    assert (broken.code, broken.out) == (1, "")
    (tmp_path / "key.pem").unlink()
    half = cli("cluster", "config", "cfg-half", "--dir", str(tmp_path))
    assert (half.code, half.out) == (1, "")


def test_config_refuses_symlinks(cli: Cli, make_cluster: MakeCluster, tmp_path: Path) -> None:
    make_cluster("cfg-link")
    target, outside = tmp_path / "certs", tmp_path / "outside"
    target.mkdir()
    outside.mkdir()
    (target / "key.pem").symlink_to(outside / "stolen.pem")
    result = cli("cluster", "config", "cfg-link", "--dir", str(target))
    assert (result.code, result.out) == (1, "")
    assert result.err == f"ERROR: {target / 'key.pem'} is a symbolic link; refusing to write it\n"
    assert list(outside.iterdir()) == []
    victim = outside / "precious"
    victim.write_text("keep me\n")
    victim.chmod(0o644)
    (target / "key.pem").unlink()
    (target / "ca.pem").symlink_to(victim)
    forced = cli("cluster", "config", "cfg-link", "--dir", str(target), "--force")
    assert (forced.code, forced.out) == (1, "")
    assert victim.read_text() == "keep me\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_config_dir_that_is_a_file_fails_before_signing(
    cli: Cli, server: LiveServer, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("cfg-file")
    signed_before = server.log_file.read_text().count('"POST /v1/certificates"')
    (tmp_path / "afile").write_text("x")
    for where in (tmp_path / "afile", tmp_path / "afile" / "below"):
        result = cli("cluster", "config", "cfg-file", "--dir", str(where))
        assert (result.code, result.out) == (1, "")
        assert result.err.startswith(f"ERROR: cannot use {where} as the directory for the files:")
    assert server.log_file.read_text().count('"POST /v1/certificates"') == signed_before


def test_config_quotes_the_printed_paths(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("cfg-quote")
    target = tmp_path / "my certs $(touch pwned)"
    result = cli("cluster", "config", "cfg-quote", "--dir", str(target))
    assert result.code == 0, result.err
    shell = subprocess.run(
        ["bash", "-c", 'eval "$(cat)"; printf %s "$DOCKER_CERT_PATH"'],
        input=result.out,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert shell.stdout == str(target.resolve()), shell.stderr
    assert not (tmp_path / "pwned").exists()


def test_kubernetes_config_writes_a_kubeconfig(
    cli: Cli, make_cluster: MakeCluster, k8s_template: str, tmp_path: Path
) -> None:
    make_cluster("cfg-k8s", template=k8s_template)
    result = cli("cluster", "config", "cfg-k8s", "--dir", str(tmp_path), "--output-certs")
    assert result.code == 0, result.err
    assert result.out == f"export KUBECONFIG={tmp_path / 'config'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem", "cert.pem", "config", "key.pem"]
    assert stat.S_IMODE((tmp_path / "config").stat().st_mode) == 0o600
    config = yaml.safe_load((tmp_path / "config").read_text())
    api = cli("-f", "json", "cluster", "show", "cfg-k8s").json()["api_address"]
    assert config["current-context"] == "default"
    assert config["contexts"][0]["context"] == {"cluster": "cfg-k8s", "user": "admin"}
    entry = config["clusters"][0]["cluster"]
    assert entry["server"] == api
    ca_pem = base64.b64decode(entry["certificate-authority-data"])
    assert ca_pem.strip() == ca_of(cli, "cfg-k8s").strip()
    user = config["users"][0]["user"]
    cert = assert_signed_by(base64.b64decode(user["client-certificate-data"]), ca_pem)
    assert subject(cert) == ("admin", "system:masters")
    assert_key_matches(base64.b64decode(user["client-key-data"]), cert)
    assert (tmp_path / "ca.pem").read_bytes().strip() == ca_pem.strip()


def test_kubernetes_config_again_reuses_only_this_clusters_kubeconfig(
    cli: Cli, make_cluster: MakeCluster, k8s_template: str, tmp_path: Path
) -> None:
    make_cluster("cfg-k8s-a", template=k8s_template)
    make_cluster("cfg-k8s-b", template=k8s_template)
    first = cli("cluster", "config", "cfg-k8s-a", "--dir", str(tmp_path))
    assert first.code == 0, first.err
    old = (tmp_path / "config").read_bytes()
    again = cli("cluster", "config", "cfg-k8s-a", "--dir", str(tmp_path))
    assert (again.code, again.out) == (0, first.out), again.err
    assert (tmp_path / "config").read_bytes() == old
    other = cli("cluster", "config", "cfg-k8s-b", "--dir", str(tmp_path))
    assert (other.code, other.out) == (1, "")
    assert (tmp_path / "config").read_bytes() == old


def test_ca_show_json(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("ca-json")
    body = cli("-f", "json", "ca", "show", "ca-json").json()
    assert body["cluster_uuid"] == uuid
    assert body["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert "links" not in body


def test_ca_sign_a_csr_file(cli: Cli, make_cluster: MakeCluster, tmp_path: Path) -> None:
    make_cluster("ca-sign")
    _, csr = pki.key_and_csr("someone", "team")
    (tmp_path / "req.csr").write_text(csr)
    result = cli("ca", "sign", "ca-sign", str(tmp_path / "req.csr"))
    assert result.code == 0, result.err
    cert = assert_signed_by(result.out.encode(), ca_of(cli, "ca-sign"))
    assert subject(cert) == ("someone", "team")


def test_ca_sign_rejects_garbage_and_missing_files(
    cli: Cli, make_cluster: MakeCluster, tmp_path: Path
) -> None:
    make_cluster("ca-bad")
    missing = cli("ca", "sign", "ca-bad", str(tmp_path / "none.csr"))
    assert missing.code == 1
    assert (
        missing.err.strip()
        == f"ERROR: cannot read {tmp_path / 'none.csr'}: No such file or directory"
    )
    (tmp_path / "bad.csr").write_text("not a csr")
    bad = cli("ca", "sign", "ca-bad", str(tmp_path / "bad.csr"))
    assert bad.code == 1
    assert "(HTTP 400)" in bad.err.splitlines()[0]


def test_ca_rotate_replaces_the_ca(cli: Cli, make_cluster: MakeCluster) -> None:
    uuid = make_cluster("ca-rot")
    before = ca_of(cli, "ca-rot")
    result = cli("ca", "rotate", "ca-rot")
    assert result.code == 0, result.err
    assert result.out == f"Request to rotate the CA certificate of cluster {uuid} accepted.\n"
    assert ca_of(cli, "ca-rot") != before
