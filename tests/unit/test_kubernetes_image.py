"""The Kubernetes node image build's pure parts: the versions table, the node's
versions.env, where each stage's result lives and which stages a build runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from moorage.drivers.providers.docker.kubernetes import stages, versions
from moorage.exceptions import DriverError

DEFAULT = versions.release()


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_default_release_and_the_listed_ones() -> None:
    assert versions.DEFAULT_KUBE_VERSION == "v1.34.12"
    assert DEFAULT.kube == "v1.34.12"
    assert set(versions.RELEASES) == {"v1.34.12", "v1.35.8"}
    for r in versions.RELEASES.values():
        assert r.etcd.startswith("v3.") and r.coredns.startswith("v1.")
        assert r.flannel.startswith("v0.") and r.pause
        assert r.node_image == f"moorage-k8s-node:{r.kube}"


def test_unknown_release_is_refused_naming_the_supported_ones() -> None:
    with pytest.raises(
        DriverError, match=r"v1\.99\.0 is not a supported kube_tag.*v1\.34\.12, v1\.35\.8"
    ):
        versions.release("v1.99.0")


def test_versions_env_names_every_image_the_cluster_needs() -> None:
    env = parse_env(versions.versions_env(DEFAULT))
    assert env == {
        "KUBE_VERSION": "v1.34.12",
        "ETCD_VERSION": "v3.6.17",
        "ETCD_IMAGE_TAG": "3.6.17-0",
        "COREDNS_VERSION": "v1.12.4",
        "FLANNEL_VERSION": "v0.28.10",
        "FLANNEL_IMAGE": "moorage.local/flannel:v0.28.10",
        "PAUSE_IMAGE": "moorage.local/pause:3.10.1",
        "IMAGE_REPOSITORY": "moorage.local",
        "BALANCER_IMAGE": versions.balancer_image(),
    }
    # what kubeadm derives from imageRepository + tags, plus the two named images
    repo, kube = env["IMAGE_REPOSITORY"], env["KUBE_VERSION"]
    derived = {
        env["PAUSE_IMAGE"],
        f"{repo}/etcd:{env['ETCD_IMAGE_TAG']}",
        f"{repo}/coredns:{env['COREDNS_VERSION']}",
        env["FLANNEL_IMAGE"],
        *(f"{repo}/{c}:{kube}" for c in ("kube-apiserver", "kube-controller-manager")),
        *(f"{repo}/{c}:{kube}" for c in ("kube-scheduler", "kube-proxy")),
    }
    assert derived == set(stages.component_images(DEFAULT))


def test_balancer_image_is_named_after_its_source() -> None:
    """A changed balancer must be a new image, or a warm cache would keep the old one."""
    name, tag = versions.balancer_image().rsplit(":", 1)
    assert name == "moorage.local/apiserver-lb"
    source = stages.package_dir() / "balancer" / "main.go"
    assert tag == hashlib.sha256(source.read_bytes()).hexdigest()[:12]


def test_versions_env_is_valid_shell() -> None:
    text = versions.versions_env(versions.release("v1.35.8"))
    out = subprocess.run(
        ["sh", "-c", f"{text}\necho $KUBE_VERSION $ETCD_IMAGE_TAG"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "v1.35.8 3.6.17-0\n"


def _finish_go(cache: Path, r: versions.Release, version: str | None = None) -> None:
    for directory, v in stages.go_versions(r).values():
        out = cache / directory / v / "bin"
        out.mkdir(parents=True, exist_ok=True)
        (out / "BUILD-INFO").write_text(f"version={version or v}\ngo=go1.26.8\n")


def _finish_all(cache: Path, r: versions.Release) -> set[str]:
    _finish_go(cache, r)
    stages.rootfs_tar(cache).parent.mkdir(parents=True)
    stages.rootfs_tar(cache).write_bytes(b"tar")
    for tar in ("control-plane", "worker"):
        (cache / "k8s" / r.kube / f"{tar}.tar").write_bytes(b"tar")
    return {
        *stages.component_images(r),
        r.node_image,
        versions.node_recipe_image(r.kube),
        versions.balancer_image(),
    }


def running(plan: list[tuple[stages.Stage, bool]]) -> list[str]:
    return [stage.name for stage, runs in plan if runs]


def test_a_cold_cache_runs_every_stage(tmp_path: Path) -> None:
    plan = stages.plan(DEFAULT, tmp_path, lambda ref: False)
    assert running(plan) == [s.name for s in stages.stages(DEFAULT)]


def test_a_finished_build_runs_nothing(tmp_path: Path) -> None:
    images = _finish_all(tmp_path, DEFAULT)
    assert running(stages.plan(DEFAULT, tmp_path, images.__contains__)) == []


def test_force_redoes_the_image_stages_only(tmp_path: Path) -> None:
    images = _finish_all(tmp_path, DEFAULT)
    plan = stages.plan(DEFAULT, tmp_path, images.__contains__, force=True)
    assert running(plan) == ["pause", "components", "node", "balancer"]


def test_a_missing_node_image_is_the_only_stage_run_but_the_last(tmp_path: Path) -> None:
    images = _finish_all(tmp_path, DEFAULT) - {DEFAULT.node_image}
    assert running(stages.plan(DEFAULT, tmp_path, images.__contains__)) == ["node", "balancer"]


def test_a_node_image_of_an_older_recipe_is_made_again(tmp_path: Path) -> None:
    """The version's tag is there, the recipe's is not: the image is an older build's."""
    images = _finish_all(tmp_path, DEFAULT) - {versions.node_recipe_image(DEFAULT.kube)}
    assert running(stages.plan(DEFAULT, tmp_path, images.__contains__)) == ["node", "balancer"]


def test_the_recipe_tag_follows_the_node_image_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the package with one byte more in node-image.sh names another recipe."""
    before = versions.node_recipe_image(DEFAULT.kube)
    copy = tmp_path / "kubernetes"
    shutil.copytree(stages.package_dir(), copy)
    with (copy / "scripts" / "node-image.sh").open("a") as script:
        script.write("\n")
    monkeypatch.setattr(versions.resources, "files", lambda _package: copy)
    after = versions.node_recipe_image(DEFAULT.kube)
    assert after != before
    assert after.startswith(f"{versions.IMAGE_REPOSITORY}/node-recipe:{DEFAULT.kube}-")


def test_a_go_stage_that_runs_makes_the_images_run_again(tmp_path: Path) -> None:
    images = _finish_all(tmp_path, DEFAULT)
    (tmp_path / "etcd" / DEFAULT.etcd / "bin" / "BUILD-INFO").unlink()
    plan = stages.plan(DEFAULT, tmp_path, images.__contains__)
    assert running(plan) == ["etcd", "pause", "components", "node", "balancer"]


def test_build_info_of_another_version_or_a_missing_tar_is_not_done(tmp_path: Path) -> None:
    images = _finish_all(tmp_path, DEFAULT)
    _finish_go(tmp_path, DEFAULT, version="v0.0.0")
    (tmp_path / "k8s" / DEFAULT.kube / "worker.tar").unlink()
    plan = stages.plan(DEFAULT, tmp_path, images.__contains__)
    assert running(plan) == [
        "kubernetes",
        "etcd",
        "coredns",
        "flannel",
        "pause",
        "components",
        "node",
        "balancer",
    ]


def test_a_changed_balancer_is_built_alone(tmp_path: Path) -> None:
    """Its image is the last stage: building it makes no node image again."""
    images = _finish_all(tmp_path, DEFAULT) - {versions.balancer_image()}
    assert running(stages.plan(DEFAULT, tmp_path, images.__contains__)) == ["balancer"]


def test_the_scripts_name_the_rootfs_tar_as_python_does(tmp_path: Path) -> None:
    common = stages.package_dir() / "scripts" / "common.sh"
    out = subprocess.run(
        ["bash", "-c", f'. "{common}"; echo "$ROOTFS"; echo "$NODE_PACKAGES"'],
        env={**os.environ, "MOORAGE_CACHE": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    rootfs, packages = out.stdout.splitlines()
    assert rootfs == str(stages.rootfs_tar(tmp_path))
    assert {"containerd", "runc", "containernetworking-plugins", "tini", "conntrack"} <= set(
        packages.split(",")
    )


def test_a_script_without_its_versions_refuses_to_build(tmp_path: Path) -> None:
    script = stages.package_dir() / "scripts" / "component-images.sh"
    env = {k: v for k, v in os.environ.items() if k not in versions.script_environment(DEFAULT)}
    out = subprocess.run(
        ["bash", str(script)],
        env={**env, "MOORAGE_CACHE": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "component-images.sh: K8S_VERSION is not set" in out.stderr


def test_every_stage_script_and_node_file_is_package_data() -> None:
    root = stages.package_dir()
    for stage in stages.stages(DEFAULT):
        assert (root / "scripts" / stage.script).is_file()
    for name in ("entrypoint", "start", "kubelet-loop", "containerd-config.toml", "packages"):
        assert (root / "node" / name).is_file()
    assert (root / "pause" / "pause.c").is_file()
    assert (root / "balancer" / "main.go").is_file()
    assert '"@PAUSE_IMAGE@"' in (root / "node" / "containerd-config.toml").read_text()


def test_a_failed_stage_names_itself_and_quotes_its_log(tmp_path: Path) -> None:
    from moorage.drivers.providers.docker.kubernetes import build

    (tmp_path / "k8s" / "logs").mkdir(parents=True)
    stage = next(s for s in stages.stages(DEFAULT) if s.name == "components")
    env = {k: v for k, v in os.environ.items() if k not in versions.script_environment(DEFAULT)}
    with pytest.raises(DriverError) as err:
        build.run_stage(stage, DEFAULT, tmp_path, {**env, "MOORAGE_CACHE": str(tmp_path)})
    text = str(err.value)
    assert "stage components (component images and their tars) failed with exit status 2" in text
    assert str(tmp_path / "k8s" / "logs" / "components-v1.34.12.log") in text
    assert text.endswith("component-images.sh: K8S_VERSION is not set")
