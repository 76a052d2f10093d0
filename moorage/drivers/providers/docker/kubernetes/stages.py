"""The build's stages, where each leaves its result, and which of them a build runs.

A stage is one script of ``scripts/``. Its result is found in the cache (Go
binaries with a ``BUILD-INFO`` naming the version, written last; the root file
system's tar) or in the engine (images, by tag), so a finished stage is skipped and
a second build does nothing. A stage that runs makes every later image stage run
too, since those pack its output. ``force`` redoes the image stages only: the Go
builds take half an hour cold and their output is keyed by version already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from moorage.drivers.providers.docker.kubernetes.versions import (
    IMAGE_REPOSITORY,
    Release,
    balancer_image,
    node_recipe_image,
)

GO, ROOTFS, IMAGE = "go", "rootfs", "image"


@dataclass(frozen=True)
class Stage:
    name: str
    script: str
    kind: str  # GO, ROOTFS or IMAGE
    what: str  # for progress lines


def stages(r: Release) -> list[Stage]:
    return [
        Stage("kubernetes", "build-kubernetes.sh", GO, f"Kubernetes {r.kube} binaries (Go)"),
        Stage("etcd", "build-etcd.sh", GO, f"etcd {r.etcd} (Go)"),
        Stage("coredns", "build-coredns.sh", GO, f"CoreDNS {r.coredns} (Go)"),
        Stage("flannel", "build-flannel.sh", GO, f"flanneld {r.flannel} (Go)"),
        Stage("rootfs", "rootfs.sh", ROOTFS, "node root file system (debootstrap bookworm)"),
        Stage("pause", "pause-image.sh", IMAGE, f"pause image {r.pause_image}"),
        Stage("components", "component-images.sh", IMAGE, "component images and their tars"),
        Stage("node", "node-image.sh", IMAGE, f"node image {r.node_image}"),
        # last: no other image packs it, so building it makes nothing else run again
        Stage("balancer", "balancer-image.sh", IMAGE, "the API servers' load balancer image"),
    ]


def package_dir() -> Path:
    return Path(str(resources.files(__package__)))


def rootfs_tar(cache: Path) -> Path:
    """The same name scripts/common.sh gives it: a hash of the package list file."""
    digest = hashlib.sha256((package_dir() / "node" / "packages").read_bytes()).hexdigest()
    return cache / "k8s" / "rootfs" / f"bookworm-{digest[:12]}.tar"


def go_versions(r: Release) -> dict[str, tuple[str, str]]:
    """Go stage -> (cache directory, version): binaries in ``<cache>/<dir>/<version>/bin``."""
    return {
        "kubernetes": ("k8s", r.kube),
        "etcd": ("etcd", r.etcd),
        "coredns": ("coredns", r.coredns),
        "flannel": ("flannel", r.flannel),
    }


def go_built(cache: Path, directory: str, version: str) -> bool:
    try:
        info = (cache / directory / version / "bin" / "BUILD-INFO").read_text()
    except OSError:
        return False
    return f"version={version}" in info.splitlines()


def component_images(r: Release) -> list[str]:
    """Every image ``control-plane.tar`` holds (``worker.tar`` holds a subset)."""
    repo = IMAGE_REPOSITORY
    return [
        r.pause_image,
        f"{repo}/etcd:{r.etcd_image_tag}",
        f"{repo}/coredns:{r.coredns}",
        r.flannel_image,
        *(
            f"{repo}/{c}:{r.kube}"
            for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
        ),
    ]


def done(stage: Stage, r: Release, cache: Path, image_exists: Callable[[str], bool]) -> bool:
    """Whether ``stage``'s result is already there."""
    if stage.kind == GO:
        return go_built(cache, *go_versions(r)[stage.name])
    if stage.name == "rootfs":
        return rootfs_tar(cache).is_file()
    if stage.name == "pause":
        return image_exists(r.pause_image)
    if stage.name == "components":
        tars = [cache / "k8s" / r.kube / f"{t}.tar" for t in ("control-plane", "worker")]
        return all(t.is_file() for t in tars) and all(map(image_exists, component_images(r)))
    if stage.name == "balancer":
        return image_exists(balancer_image())
    return image_exists(r.node_image) and image_exists(node_recipe_image(r.kube))


def plan(
    r: Release, cache: Path, image_exists: Callable[[str], bool], force: bool = False
) -> list[tuple[Stage, bool]]:
    """Each stage with whether it runs."""
    decisions = []
    rerun_images = force
    for stage in stages(r):
        runs = not done(stage, r, cache, image_exists)
        if stage.kind == IMAGE:
            runs = runs or rerun_images
        rerun_images = rerun_images or runs
        decisions.append((stage, runs))
    return decisions
