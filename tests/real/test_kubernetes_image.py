"""The built Kubernetes node image has the layout the Kubernetes driver relies on.

The image is built by ``make k8s-image`` before the tests run (cold: half an hour of
Go; warm: nothing), so the fixture's build call only checks the cached stages.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import docker
import pytest

from moorage.drivers.providers.docker.kubernetes import build, stages, versions

pytestmark = pytest.mark.real
RELEASE = versions.release()
FILES = [
    "/usr/bin/kubeadm",
    "/usr/bin/kubelet",
    "/usr/bin/kubectl",
    "/usr/bin/containerd",
    "/usr/bin/containerd-shim-runc-v2",
    "/usr/sbin/runc",
    "/usr/bin/ctr",
    "/usr/bin/tini",
    "/usr/sbin/iptables",
    "/usr/sbin/ip",
    "/usr/sbin/conntrack",
    "/usr/bin/socat",
    "/usr/sbin/ethtool",
    *(f"/usr/lib/cni/{p}" for p in ("bridge", "host-local", "loopback", "portmap")),
    "/usr/local/bin/node-entrypoint",
    "/usr/local/bin/node-start",
    "/usr/local/bin/kubelet-loop",
    "/etc/containerd/config.toml",
    "/opt/moorage/images/control-plane.tar",
    "/opt/moorage/images/worker.tar",
    "/etc/moorage/versions.env",
]


@pytest.fixture(scope="module")
def node_image(docker_host: docker.DockerClient) -> str:
    return build.build_kubernetes_node_image(RELEASE.kube)


def sh(client: docker.DockerClient, image: str, script: str) -> str:
    """``script``'s output; the container goes with its anonymous /var/lib/containerd volume."""
    container = client.containers.run(image, entrypoint=["sh", "-ec", script], detach=True)
    try:
        status = container.wait()["StatusCode"]
        out = container.logs(stdout=True, stderr=False).decode()
        assert status == 0, container.logs().decode()
    finally:
        container.remove(v=True, force=True)
    return out


def test_the_image_carries_every_file_the_driver_uses(
    docker_host: docker.DockerClient, node_image: str
) -> None:
    assert node_image == f"moorage-k8s-node:{RELEASE.kube}"
    listed = sh(
        docker_host,
        node_image,
        "for f in " + " ".join(FILES) + '; do [ -x "$f" ] || [ -s "$f" ] && echo "$f"; done; true',
    )
    assert listed.split() == FILES


def test_a_new_nodes_store_holds_every_component_image_unpacked(
    docker_host: docker.DockerClient, node_image: str
) -> None:
    """A fresh volume is filled from the image (so no node imports the tars at create):
    the driver's markers for both tars, and one unpacked snapshot per component image,
    the API server's binary among them."""
    store = "/var/lib/containerd"
    snapshots = f"{store}/io.containerd.snapshotter.v1.overlayfs/snapshots"
    listed = sh(
        docker_host,
        node_image,
        f"ls -a {store}; ls {snapshots} | wc -l; "
        f"ls {snapshots}/*/fs/usr/local/bin/kube-apiserver | wc -l",
    ).split()
    assert {f".moorage-{t}-{RELEASE.kube}" for t in ("control-plane", "worker")} <= set(listed)
    assert "io.containerd.metadata.v1.bolt" in listed
    assert listed[-2:] == [str(len(stages.component_images(RELEASE))), "1"]


def test_versions_env_matches_the_table(docker_host: docker.DockerClient, node_image: str) -> None:
    assert sh(docker_host, node_image, "cat /etc/moorage/versions.env") == versions.versions_env(
        RELEASE
    )
    config = sh(docker_host, node_image, "cat /etc/containerd/config.toml")
    assert f'sandbox_image = "{RELEASE.pause_image}"' in config
    assert "privileged_without_host_devices = true" in config
    assert 'bin_dir = "/usr/lib/cni"' in config


def test_the_binaries_are_the_built_version(
    docker_host: docker.DockerClient, node_image: str
) -> None:
    out = sh(
        docker_host,
        node_image,
        "kubeadm version -o short; kubelet --version; kubectl version --client -o json",
    )
    kubeadm, kubelet, kubectl = out.split("\n", 2)
    assert kubeadm == RELEASE.kube
    assert kubelet == f"Kubernetes {RELEASE.kube}"
    assert json.loads(kubectl)["clientVersion"]["gitVersion"] == RELEASE.kube


def test_the_image_tars_hold_each_roles_images(
    docker_host: docker.DockerClient, node_image: str
) -> None:
    def tags(tar: str) -> set[str]:
        manifest = sh(docker_host, node_image, f"tar -xOf /opt/moorage/images/{tar} manifest.json")
        return {tag for entry in json.loads(manifest) for tag in entry["RepoTags"]}

    everything = set(stages.component_images(RELEASE))
    assert tags("control-plane.tar") == everything
    repo = versions.IMAGE_REPOSITORY
    assert tags("worker.tar") == {
        RELEASE.pause_image,
        RELEASE.flannel_image,
        f"{repo}/kube-proxy:{RELEASE.kube}",
        f"{repo}/coredns:{RELEASE.coredns}",
    }


def test_tini_runs_the_entrypoint_then_node_start(
    docker_host: docker.DockerClient, node_image: str
) -> None:
    config = docker_host.images.get(node_image).attrs["Config"]
    assert config["Entrypoint"] == ["/usr/bin/tini", "-g", "--", "/usr/local/bin/node-entrypoint"]
    assert config["Cmd"] == ["/usr/local/bin/node-start"]
    assert "/var/lib/containerd" in config["Volumes"]


def test_kubectl_of_the_build_is_installed_where_asked(node_image: str, tmp_path: Path) -> None:
    installed = build.install_kubectl(RELEASE.kube, bin_dir=tmp_path)
    assert installed == tmp_path / "kubectl"
    out = subprocess.run(
        [str(installed), "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout)["clientVersion"]["gitVersion"] == RELEASE.kube
