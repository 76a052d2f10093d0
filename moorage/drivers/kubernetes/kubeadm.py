"""kubeadm's configuration for a cluster of node containers, rendered from the spec.

Pure functions: every document kubeadm reads (``kubeadm init`` and ``join``), the
kubelet's and kube-proxy's settings, built from the cluster's labels and the
versions the node image says it carries (``/etc/moorage/versions.env``). The
settings that differ from kubeadm's defaults are those a node container needs:
cgroupfs under ``/kubelet``, no swap check, no OOM score or eviction games with a
kernel it shares, images only from the node's own store, and no conntrack sysctls
(they are the host's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from moorage.drivers.kubernetes import network
from moorage.drivers.kubernetes.network import PodNetwork

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
ADMIN_CONF = "/etc/kubernetes/admin.conf"
API_PORT = 6443  # every API server's, on its master's address
PKI = "/etc/kubernetes/pki"
NODEGROUP_LABEL = "magnum.openstack.org/nodegroup"
ROLE_LABEL = "magnum.openstack.org/role"


def local_kubectl() -> list[str]:
    """kubectl as a master's admin, asking that master's own API server (not the
    cluster's endpoint, which may be a load balancer that hides which one answers)."""
    return ["kubectl", f"--kubeconfig={ADMIN_CONF}", f"--server=https://127.0.0.1:{API_PORT}"]


@dataclass(frozen=True)
class Versions:
    """What the node image carries, as its ``versions.env`` says."""

    kube: str
    etcd_image_tag: str
    coredns: str
    flannel_image: str
    pause_image: str
    repository: str
    balancer_image: str  # empty in images built before the load balancer existed

    @classmethod
    def parse(cls, text: str) -> Versions:
        values = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
        )
        values = {k.strip(): v.strip().strip("'\"") for k, v in values.items()}
        return cls(
            kube=values["KUBE_VERSION"],
            etcd_image_tag=values["ETCD_IMAGE_TAG"],
            coredns=values["COREDNS_VERSION"],
            flannel_image=values["FLANNEL_IMAGE"],
            pause_image=values["PAUSE_IMAGE"],
            repository=values["IMAGE_REPOSITORY"],
            balancer_image=values.get("BALANCER_IMAGE", ""),
        )

    def minor(self) -> int:
        return int(self.kube.lstrip("v").split(".")[1])


@dataclass(frozen=True)
class Member:
    """One node as kubeadm sees it."""

    name: str
    ip: str
    nodegroup: str
    role: str


def _registration(member: Member, taint: bool) -> dict[str, Any]:
    labels = f"{NODEGROUP_LABEL}={member.nodegroup},{ROLE_LABEL}={member.role}"
    registration: dict[str, Any] = {
        "name": member.name,
        "criSocket": CRI_SOCKET,
        "imagePullPolicy": "Never",
        "kubeletExtraArgs": [
            {"name": "node-ip", "value": member.ip},
            {"name": "node-labels", "value": labels},
        ],
    }
    if not taint:
        registration["taints"] = []
    return registration


def _kubelet() -> dict[str, Any]:
    config: dict[str, Any] = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": "/kubelet",
        "failSwapOn": False,
        "oomScoreAdj": 0,
        "imageGCHighThresholdPercent": 100,
        "evictionHard": {
            "nodefs.available": "0%",
            "nodefs.inodesFree": "0%",
            "imagefs.available": "0%",
        },
        # 1.35 refuses cgroup v1 unless told otherwise (the hosts here have v1); set for
        # every version, so that a node upgraded to 1.35 starts with its old config
        "failCgroupV1": False,
    }
    return config


def _proxy() -> dict[str, Any]:
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        # 0: leave the host's conntrack sysctls alone (a node cannot and must not set them)
        "conntrack": {"maxPerCore": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
    }


def init_config(
    cluster: str,
    first: Member,
    endpoint: str,
    sans: Sequence[str],
    versions: Versions,
    pods: PodNetwork,
    taint_masters: bool,
    certificate_key: str | None = None,
) -> str:
    """``kubeadm init``'s documents for a master (the first one runs it). With
    ``certificate_key`` the control plane's certificates can be uploaded, encrypted
    with it, for the other masters' ``join --control-plane``."""
    cluster_config = {
        "apiVersion": KUBEADM_API,
        "kind": "ClusterConfiguration",
        "kubernetesVersion": versions.kube,
        "clusterName": cluster,
        "imageRepository": versions.repository,
        "controlPlaneEndpoint": endpoint,
        # the keys kubeadm makes (about fifteen at init, more per master): an EC key is
        # made in microseconds, an RSA one in tenths of a second on a busy core
        "encryptionAlgorithm": "ECDSA-P256",
        "networking": {"podSubnet": pods.cidr, "serviceSubnet": network.SERVICE_CIDR},
        "etcd": {"local": {"imageTag": versions.etcd_image_tag}},
        "dns": {"imageTag": versions.coredns},
        "apiServer": {"certSANs": sorted(set(sans))},
        "controllerManager": {
            "extraArgs": [
                {"name": "node-cidr-mask-size", "value": str(pods.subnetlen)},
                # the driver gives each node its pod subnet as soon as the node registers
                # (``bootstrap.write_pod_networks``) rather than wait for this allocator
                {"name": "allocate-node-cidrs", "value": "false"},
            ]
        },
    }
    init = {
        "apiVersion": KUBEADM_API,
        "kind": "InitConfiguration",
        "localAPIEndpoint": {"advertiseAddress": first.ip, "bindPort": API_PORT},
        "nodeRegistration": _registration(first, taint_masters),
    }
    if certificate_key is not None:
        init["certificateKey"] = certificate_key
    return _documents([cluster_config, init, _kubelet(), _proxy()])


def join_config(
    member: Member,
    endpoint: str,
    token: str,
    ca_hash: str,
    certificate_key: str | None = None,
    taint: bool = True,
) -> str:
    """``kubeadm join``'s document: a worker, or a master with ``certificate_key``."""
    join: dict[str, Any] = {
        "apiVersion": KUBEADM_API,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {
                "apiServerEndpoint": endpoint,
                "token": token,
                "caCertHashes": [ca_hash],
            }
        },
        "nodeRegistration": _registration(member, taint),
    }
    if certificate_key is not None:
        join["controlPlane"] = {
            "localAPIEndpoint": {"advertiseAddress": member.ip, "bindPort": API_PORT},
            "certificateKey": certificate_key,
        }
    return _documents([join])


def cni_config(subnet: str, pods: PodNetwork) -> str:
    """The node's CNI network: a bridge with addresses from the node's pod subnet.

    This is what flannel's own CNI plugin hands to the bridge plugin; the plugin is not
    to be had here, so the driver writes its result once the node has its subnet.
    flanneld (``--ip-masq``) masquerades traffic leaving the pod network.
    """
    return json.dumps(
        {
            "cniVersion": "0.4.0",
            "name": "moorage-flannel",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "cni0",
                    "isGateway": True,
                    "isDefaultGateway": True,
                    "ipMasq": False,
                    "hairpinMode": True,
                    "mtu": pods.mtu,
                    "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]]},
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        },
        indent=1,
    )


def _documents(docs: Sequence[Mapping[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(dict(d), sort_keys=False) for d in docs)
