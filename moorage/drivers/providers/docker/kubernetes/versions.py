"""The Kubernetes releases a node image can be built for, and what each one pins.

One row per ``kube_tag``: a release is listed only once it has been built from the
Go module proxy and run on this kind of host (cgroup v1, no registry). The other
components are pinned per release rather than taken from kubeadm's defaults,
because each is built here too and the proxy does not serve every version (some
answer 403). ``versions_env`` is the node's ``/etc/moorage/versions.env``: the driver
reads it from a node to write its kubeadm configuration, so every image name the
cluster needs can be derived from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from moorage.exceptions import DriverError

IMAGE_REPOSITORY = "moorage.local"
NODE_IMAGE_NAME = "moorage-k8s-node"
BALANCER_IMAGE_NAME = f"{IMAGE_REPOSITORY}/apiserver-lb"


def balancer_image() -> str:
    """The API servers' load balancer image, tagged with its source's hash: a changed
    balancer is a new image, built by the next ``moorage image build``."""
    source = resources.files(__package__).joinpath("balancer", "main.go").read_bytes()
    return f"{BALANCER_IMAGE_NAME}:{hashlib.sha256(source).hexdigest()[:12]}"


def node_recipe_image(kube: str) -> str:
    """A second tag the node image stage gives its image, naming a hash of what makes it
    (``scripts/node-image.sh`` and ``node/``): the driver uses the plain version tag, so
    an image made by an older recipe has the tag but not this one, and the next
    ``moorage image build`` makes it again instead of keeping it."""
    here = resources.files(__package__)
    digest = hashlib.sha256(here.joinpath("scripts", "node-image.sh").read_bytes())
    node = here.joinpath("node")
    for name in sorted(entry.name for entry in node.iterdir()):
        digest.update(name.encode() + b"\0" + node.joinpath(name).read_bytes())
    return f"{IMAGE_REPOSITORY}/node-recipe:{kube}-{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Release:
    kube: str
    etcd: str
    coredns: str
    flannel: str
    pause: str

    @property
    def etcd_image_tag(self) -> str:
        """kubeadm's ``etcd.local.imageTag``: upstream tags etcd images ``3.6.17-0``."""
        return f"{self.etcd.removeprefix('v')}-0"

    @property
    def pause_image(self) -> str:
        return f"{IMAGE_REPOSITORY}/pause:{self.pause}"

    @property
    def flannel_image(self) -> str:
        return f"{IMAGE_REPOSITORY}/flannel:{self.flannel}"

    @property
    def node_image(self) -> str:
        return f"{NODE_IMAGE_NAME}:{self.kube}"


RELEASES: dict[str, Release] = {
    r.kube: r
    for r in (
        # cgroup v1 needs no kubelet override up to 1.34
        Release("v1.34.12", etcd="v3.6.17", coredns="v1.12.4", flannel="v0.28.10", pause="3.10.1"),
        # 1.35 on cgroup v1: the kubelet needs failCgroupV1: false, kubeadm
        # --ignore-preflight-errors=SystemVerification (the driver's business)
        Release("v1.35.8", etcd="v3.6.17", coredns="v1.12.4", flannel="v0.28.10", pause="3.10.1"),
    )
}
DEFAULT_KUBE_VERSION = "v1.34.12"


def release(version: str | None = None) -> Release:
    """The row for ``version`` (default: the default release); unknown ones are refused."""
    version = version or DEFAULT_KUBE_VERSION
    try:
        return RELEASES[version]
    except KeyError:
        raise DriverError(
            f"Kubernetes {version} is not a supported kube_tag (supported: {', '.join(RELEASES)})"
        ) from None


def script_environment(r: Release) -> dict[str, str]:
    """The variables the stage scripts read (common.sh ``require``s them)."""
    return {
        "K8S_VERSION": r.kube,
        "ETCD_VERSION": r.etcd,
        "ETCD_IMAGE_TAG": r.etcd_image_tag,
        "COREDNS_VERSION": r.coredns,
        "FLANNEL_VERSION": r.flannel,
        "FLANNEL_IMAGE": r.flannel_image,
        "PAUSE_IMAGE": r.pause_image,
        "IMAGE_REPOSITORY": IMAGE_REPOSITORY,
        "NODE_IMAGE": r.node_image,
        "NODE_RECIPE_IMAGE": node_recipe_image(r.kube),
        "BALANCER_IMAGE": balancer_image(),
    }


def versions_env(r: Release) -> str:
    """``/etc/moorage/versions.env``: shell ``KEY=VALUE`` lines (values never need quoting)."""
    keys = (
        "KUBE_VERSION",
        "ETCD_VERSION",
        "ETCD_IMAGE_TAG",
        "COREDNS_VERSION",
        "FLANNEL_VERSION",
        "FLANNEL_IMAGE",
        "PAUSE_IMAGE",
        "IMAGE_REPOSITORY",
        "BALANCER_IMAGE",
    )
    env = script_environment(r) | {"KUBE_VERSION": r.kube}
    return "".join(f"{key}={env[key]}\n" for key in keys)
