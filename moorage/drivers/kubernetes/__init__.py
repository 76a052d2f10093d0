"""Kubernetes clusters on the nodes of a provider, bootstrapped with kubeadm.

Each node is a machine of the provider (a container with its own containerd and
kubelet for ``docker``) booted from the Kubernetes node image, which carries the
built binaries and every image the cluster runs (there is no registry). The
cluster's CA is Moorage's, so a CSR signed through ``POST /v1/certificates`` gives
credentials the API server accepts.
"""
