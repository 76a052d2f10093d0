"""The cluster's add-ons, applied from its first master: flannel and CoreDNS's config."""

from __future__ import annotations

from importlib import resources
from string import Template

from moorage.drivers.kubernetes.kubeadm import Versions
from moorage.drivers.kubernetes.network import PodNetwork
from moorage.drivers.kubernetes.session import Session
from moorage.drivers.providers.base import Node

MANIFEST_DIR = "/etc/kubernetes/moorage"
CLUSTER_DOMAIN = "cluster.local"


def manifest(name: str, **values: object) -> str:
    text = resources.files(__package__).joinpath("manifests", name).read_text()
    return Template(text).substitute(values)


def manifests(versions: Versions, pods: PodNetwork, endpoint: str) -> dict[str, str]:
    """The add-ons' manifests; ``endpoint`` is where nodes reach the API server."""
    host, port = endpoint.rsplit(":", 1)
    return {
        "flannel.yaml": manifest(
            "flannel.yaml",
            api_host=host,
            api_port=port,
            network=pods.cidr,
            subnetlen=pods.subnetlen,
            backend=pods.backend,
            image=versions.flannel_image,
        ),
        "coredns.yaml": manifest("coredns.yaml", domain=CLUSTER_DOMAIN),
    }


def apply(session: Session, master: Node, pods: PodNetwork, endpoint: str) -> None:
    """Write the manifests into the master and apply them (idempotent, as kubectl is)."""
    files = manifests(session.versions(), pods, endpoint)
    session.provider.put_files(
        master.name,
        {f"{MANIFEST_DIR}/{name}": (text.encode(), 0o644) for name, text in files.items()},
    )
    for name in files:
        session.kubectl(["apply", "-f", f"{MANIFEST_DIR}/{name}"], f"apply {name}", master)
