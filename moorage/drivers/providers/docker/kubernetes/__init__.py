"""The Kubernetes node image of the Docker provider, built here from Go modules and Debian.

There is no registry: Kubernetes, etcd, CoreDNS and flanneld are compiled from their
Go modules, the node's root file system is debootstrapped, and the images a cluster
runs travel inside the node image as ``docker save`` tars for ``ctr images import``.
``versions`` lists the releases and their pins, ``stages`` what is built and when it
counts as done, ``build`` runs it. The scripts and node files are package data.
"""

from __future__ import annotations

from moorage.drivers.providers.docker.kubernetes.build import (
    build_kubernetes_node_image,
    install_kubectl,
    kubectl_path,
)

__all__ = ["build_kubernetes_node_image", "install_kubectl", "kubectl_path"]
