"""What runs on a Kubernetes node: the node image, its container's shape, its environment.

The node image's own command starts containerd and a stand-in for the kubelet's
service (it waits for kubeadm's config), so the node layer only makes the
container; kubeadm, run by this driver in the node, does the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from moorage import exceptions
from moorage.drivers.base import ClusterSpec
from moorage.drivers.kubernetes import kubeadm, network
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.session import Recipe

API_PORT = kubeadm.API_PORT
DEFAULT_IMAGE = "moorage-k8s-node"
# The label choosing the Kubernetes version (Magnum's); the node image is tagged with it.
KUBE_TAG_LABEL = "kube_tag"
DEFAULT_KUBE_TAG = "v1.34.12"
_KUBE_TAG = re.compile(r"v1\.\d{1,3}\.\d{1,3}")
# The node's disks, kept when it is replaced by a newer image (an upgrade): containerd's
# images and pod layers, the cluster's configuration and certificates, the kubelet's
# state, a master's etcd data, and the node's CNI network config.
STATE_PATHS = (
    "/var/lib/containerd",
    "/etc/kubernetes",
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/etc/cni/net.d",
)


def kube_tag(labels: Mapping[str, str]) -> str:
    """The Kubernetes version asked for; its format is checked, its image at create."""
    tag = labels.get(KUBE_TAG_LABEL, DEFAULT_KUBE_TAG)
    if not _KUBE_TAG.fullmatch(tag):
        raise exceptions.Invalid(
            f"Label {KUBE_TAG_LABEL} must be a Kubernetes release such as {DEFAULT_KUBE_TAG}, "
            f"got {tag}."
        )
    return tag


def recipe(spec: ClusterSpec) -> Recipe:
    labels = layout.labels(spec)
    pods = network.pod_network(labels)
    tag = kube_tag(labels)
    return Recipe(
        default_image=DEFAULT_IMAGE,
        default_tag=tag,
        build_command=f"moorage image build --coe kubernetes --kube-tag {tag}",
        command=[],
        api_port=API_PORT,
        api_scheme="https",
        tls_dir=None,  # kubeadm writes the API server's certificates from the cluster CA
        environment={"SERVICE_CIDR": network.SERVICE_CIDR, "POD_CIDR": pods.cidr},
        state_paths=STATE_PATHS,
        tty=True,
        tmpfs=("/run", "/tmp"),
        dns=("127.0.0.1",),
    )
