"""kubeadm's documents, the CNI config and the pod network, rendered from labels."""

from __future__ import annotations

import json

import pytest
import yaml

from moorage import exceptions
from moorage.drivers.base import ClusterSpec, TemplateSpec
from moorage.drivers.kubernetes import addons, kubeadm, network, node_config
from moorage.drivers.kubernetes.kubeadm import Member, Versions
from moorage.drivers.nodes import layout
from moorage.exceptions import DriverError

VERSIONS_ENV = """# written by the node image build
KUBE_VERSION=v1.34.12
ETCD_VERSION=v3.6.17
ETCD_IMAGE_TAG=3.6.17-0
COREDNS_VERSION=v1.12.4
FLANNEL_VERSION=v0.28.10
FLANNEL_IMAGE=moorage.local/flannel:v0.28.10
PAUSE_IMAGE=moorage.local/pause:3.10.1
IMAGE_REPOSITORY=moorage.local
"""
FIRST = Member("k-1234abcd-default-master-0", "172.30.0.10", "default-master", "master")


def cluster_spec(labels: dict[str, str]) -> ClusterSpec:
    template = TemplateSpec("t", "t", "kubernetes", "vm", "debian", "moorage-k8s-node")
    return ClusterSpec("c", "k", "p", template, [], None, labels=labels)


def _versions(kube: str = "v1.34.12") -> Versions:
    return Versions.parse(VERSIONS_ENV.replace("v1.34.12", kube))


def test_versions_env_is_read_as_the_image_wrote_it() -> None:
    v = _versions()
    assert (v.kube, v.etcd_image_tag, v.coredns) == ("v1.34.12", "3.6.17-0", "v1.12.4")
    assert (v.repository, v.minor()) == ("moorage.local", 34)
    with pytest.raises(KeyError):
        Versions.parse("KUBE_VERSION=v1.34.12\n")


def test_init_config_carries_the_cluster_settings() -> None:
    pods = network.pod_network(
        {"flannel_network_cidr": "10.200.0.0/16", "flannel_network_subnetlen": "25"}
    )
    docs = list(
        yaml.safe_load_all(
            kubeadm.init_config(
                "k", FIRST, "172.30.0.10:6443", ["127.0.0.1"], _versions(), pods, True
            )
        )
    )
    cluster, init, kubelet, proxy = docs
    assert cluster["networking"] == {"podSubnet": "10.200.0.0/16", "serviceSubnet": "10.254.0.0/16"}
    assert cluster["controllerManager"]["extraArgs"] == [
        {"name": "node-cidr-mask-size", "value": "25"},
        {"name": "allocate-node-cidrs", "value": "false"},  # the driver does
    ]
    assert "certificateKey" not in init
    assert cluster["imageRepository"] == "moorage.local"
    assert cluster["encryptionAlgorithm"] == "ECDSA-P256"
    assert cluster["etcd"]["local"]["imageTag"] == "3.6.17-0"
    assert cluster["apiServer"]["certSANs"] == ["127.0.0.1"]
    assert init["localAPIEndpoint"]["advertiseAddress"] == "172.30.0.10"
    registration = init["nodeRegistration"]
    assert registration["imagePullPolicy"] == "Never"
    assert "taints" not in registration  # kubeadm's control-plane taint stays with workers
    assert {
        "name": "node-labels",
        "value": "magnum.openstack.org/nodegroup=default-master,magnum.openstack.org/role=master",
    } in registration["kubeletExtraArgs"]
    assert kubelet["cgroupRoot"] == "/kubelet" and kubelet["failCgroupV1"] is False
    assert (proxy["mode"], proxy["conntrack"]["maxPerCore"]) == ("iptables", 0)


def test_masters_are_untainted_without_workers_and_135_keeps_cgroup_v1() -> None:
    pods = network.pod_network({})
    text = kubeadm.init_config("k", FIRST, "e:6443", [], _versions("v1.35.8"), pods, False)
    _, init, kubelet, _ = yaml.safe_load_all(text)
    assert init["nodeRegistration"]["taints"] == []
    assert kubelet["failCgroupV1"] is False


def test_a_master_config_with_a_certificate_key_lets_init_upload_the_certificates() -> None:
    pods = network.pod_network({})
    text = kubeadm.init_config(
        "k", FIRST, "172.30.0.2:6443", [], _versions(), pods, True, certificate_key="ab" * 32
    )
    cluster, init, _, _ = yaml.safe_load_all(text)
    assert init["certificateKey"] == "ab" * 32
    assert cluster["controlPlaneEndpoint"] == "172.30.0.2:6443"  # the load balancer


def test_versions_env_of_an_image_without_a_balancer_still_reads() -> None:
    assert _versions().balancer_image == ""
    with_lb = Versions.parse(VERSIONS_ENV + "BALANCER_IMAGE=moorage.local/apiserver-lb:abc\n")
    assert with_lb.balancer_image == "moorage.local/apiserver-lb:abc"


def test_free_node_subnets_are_the_lowest_ones_no_node_holds() -> None:
    pods = network.pod_network({"flannel_network_subnetlen": "25"})
    used = {"10.100.0.0/25", "10.100.1.0/25"}
    assert network.free_subnets(pods, used, 3) == [
        "10.100.0.128/25",
        "10.100.1.128/25",
        "10.100.2.0/25",
    ]
    assert network.free_subnets(pods, used, 0) == []
    small = network.pod_network(
        {"flannel_network_cidr": "10.100.0.0/23", "flannel_network_subnetlen": "24"}
    )
    with pytest.raises(DriverError, match=r"10\.100\.0\.0/23 has no 1 free /24 node subnets left"):
        network.free_subnets(small, {"10.100.0.0/24", "10.100.1.0/24"}, 1)


def test_join_config_of_a_worker_and_of_a_master() -> None:
    worker = Member("k-w-0", "172.30.0.11", "default-worker", "worker")
    (doc,) = yaml.safe_load_all(kubeadm.join_config(worker, "172.30.0.10:6443", "t.x", "sha256:ab"))
    assert doc["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "172.30.0.10:6443",
        "token": "t.x",
        "caCertHashes": ["sha256:ab"],
    }
    assert "controlPlane" not in doc
    (doc,) = yaml.safe_load_all(kubeadm.join_config(FIRST, "e:6443", "t", "h", certificate_key="k"))
    assert doc["controlPlane"]["certificateKey"] == "k"


@pytest.mark.parametrize(("backend", "mtu"), [("vxlan", 1450), ("host-gw", 1500)])
def test_cni_config_is_json_with_the_backends_mtu(backend: str, mtu: int) -> None:
    pods = network.pod_network({"flannel_backend": backend})
    conf = json.loads(kubeadm.cni_config("10.100.3.0/24", pods))
    bridge = conf["plugins"][0]
    assert (bridge["type"], bridge["mtu"]) == ("bridge", mtu)
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.100.3.0/24"}]]


def test_flannel_manifest_takes_the_labels() -> None:
    pods = network.pod_network(
        {"flannel_backend": "host-gw", "flannel_network_cidr": "10.9.0.0/16"}
    )
    docs = list(
        yaml.safe_load_all(addons.manifests(_versions(), pods, "172.30.0.10:6443")["flannel.yaml"])
    )
    (conf,) = [d for d in docs if d["kind"] == "ConfigMap"]
    assert json.loads(conf["data"]["net-conf.json"]) == {
        "Network": "10.9.0.0/16",
        "SubnetLen": 24,
        "Backend": {"Type": "host-gw"},
    }
    (ds,) = [d for d in docs if d["kind"] == "DaemonSet"]
    container = ds["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "moorage.local/flannel:v0.28.10"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["KUBERNETES_SERVICE_HOST"], env["KUBERNETES_SERVICE_PORT"]) == (
        "172.30.0.10",
        "6443",
    )


def test_coredns_forwards_nowhere() -> None:
    (doc,) = yaml.safe_load_all(
        addons.manifests(_versions(), network.pod_network({}), "e:6443")["coredns.yaml"]
    )
    corefile = doc["data"]["Corefile"]
    assert "kubernetes cluster.local" in corefile
    assert "forward" not in corefile


def test_pod_network_defaults_are_magnums() -> None:
    pods = network.pod_network({})
    assert (pods.cidr, pods.subnetlen, pods.backend) == ("10.100.0.0/16", 24, "vxlan")
    assert network.dns_service_ip() == "10.254.0.10"
    with pytest.raises(exceptions.Invalid):
        network.pod_network({"flannel_network_cidr": "10.100.0.0/29"})


def test_the_node_image_tag_is_the_kube_tag() -> None:
    spec = cluster_spec(labels={"kube_tag": "v1.35.8"})
    recipe = node_config.recipe(spec)
    assert layout.image_ref(spec.template, None, {}, recipe.default_image, recipe.default_tag) == (
        "moorage-k8s-node:v1.35.8"
    )
    assert layout.image_ref(spec.template, None, {"node_image_tag": "x"}, "moorage-k8s-node") == (
        "moorage-k8s-node:x"
    )
    assert recipe.environment == {"SERVICE_CIDR": "10.254.0.0/16", "POD_CIDR": "10.100.0.0/16"}
    assert (recipe.state_paths[0], recipe.tty, recipe.dns) == (
        "/var/lib/containerd",
        True,
        ("127.0.0.1",),
    )
