"""Rolling upgrade to another Kubernetes version (the new template's ``kube_tag``).

Control plane first, as Kubernetes' version skew asks: every node is given the new
version's images while the old ones still run (a DaemonSet such as kube-proxy rolls
to the new version on every node at once), then each master is replaced by a
container of the new node image, keeping its name, address, published port and
disks (etcd, certificates, kubelet state), and ``kubeadm upgrade apply`` moves the
control plane on (``kubeadm upgrade node`` on each further master, one at a time, so
that a load balancer always has masters to send to). Then the group's workers,
``max_batch_size`` at a time: cordoned and drained, replaced the same way,
``kubeadm upgrade node``, Ready, uncordoned.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import yaml

from moorage.drivers import dockerapi, steps
from moorage.drivers.base import NodeGroupSpec, Progress, TemplateSpec
from moorage.drivers.kubernetes import bootstrap, membership, node_config
from moorage.drivers.kubernetes.session import Session, wait_until
from moorage.drivers.nodes import layout, provision
from moorage.drivers.nodes.parallel import parallel
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step

TIMEOUT = 300.0
LOAD_PATH = "/var/lib/containerd/moorage-upgrade.tar"
CONTROL_PLANE_IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
# kubeadm >= 1.35 refuses cgroup v1 in its preflight unless told to go on (the kubelet's
# own failCgroupV1: false is in every cluster's kubelet configuration).
_PREFLIGHT = "--ignore-preflight-errors=SystemVerification"
KUBEADM_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"
_OLD_FLAGS = r"s/--pod-infra-container-image=[^ \"]*//"


def target_image(template: TemplateSpec, nodegroup: NodeGroupSpec) -> str:
    tag = node_config.kube_tag(template.labels)
    return layout.image_ref(template, nodegroup, template.labels, node_config.DEFAULT_IMAGE, tag)


def upgrade(
    session: Session,
    template: TemplateSpec,
    nodegroup: NodeGroupSpec,
    max_batch_size: int,
    progress: Progress,
) -> None:
    tag = node_config.kube_tag(template.labels)
    masters = [n for n in session.nodes() if n.role == layout.MASTER_ROLE]
    master_group = next(g for g in session.spec.nodegroups if layout.is_manager(g))
    master_image = target_image(template, master_group)
    stale_masters = [n for n in masters if dockerapi.reference(n.image) != master_image]
    todo: list[Node] = []
    if not layout.is_manager(nodegroup):
        image = target_image(template, nodegroup)
        todo = [n for n in session.nodes(nodegroup.name) if dockerapi.reference(n.image) != image]
    size = max(1, max_batch_size)
    batches = [todo[i : i + size] for i in range(0, len(todo), size)]
    plan = [
        Step(
            f"checking node image {master_image}",
            partial(provision.check_image, session, master_image),
        )
    ]
    if stale_masters:
        plan += [
            Step(f"giving every node the {tag} images", partial(_preload, session, tag)),
            *(
                Step(
                    f"upgrading the control plane on {m.name}",
                    partial(_master, session, master_group, m, master_image, tag),
                )
                for m in stale_masters
            ),
        ]
    plan += [
        Step(
            f"upgrading {', '.join(n.name for n in batch)}",
            partial(_workers, session, nodegroup, batch, target_image(template, nodegroup)),
        )
        for batch in batches
    ]
    plan += [
        Step(
            "waiting for every node to be Ready",
            lambda: bootstrap.wait_ready(session, [n.name for n in session.running()], TIMEOUT),
        ),
        Step(
            "waiting for the system pods",
            lambda: bootstrap.wait_rolled_out(session, bootstrap.SYSTEM_PODS, TIMEOUT),
        ),
    ]
    steps.run(progress, plan)


def _preload(session: Session, tag: str) -> None:
    """The new version's images into every running node, from the engine's own store."""
    repository = session.versions().repository
    worker_images = [f"{repository}/kube-proxy:{tag}"]
    master_images = [*worker_images, *(f"{repository}/{c}:{tag}" for c in CONTROL_PLANE_IMAGES)]
    archives = {ref: session.provider.image_archive(ref) for ref in master_images}

    def load(target: Node) -> None:
        wanted = master_images if target.role == layout.MASTER_ROLE else worker_images
        for ref in wanted:
            session.provider.put_files(target.name, {LOAD_PATH: (archives[ref], 0o600)})
            script = f"ctr -n k8s.io images import {LOAD_PATH} >/dev/null; c=$?; rm -f {LOAD_PATH}; exit $c"
            session.run(target, ["sh", "-c", script], f"load {ref}")

    parallel(load, session.running())


def _replace(session: Session, nodegroup: NodeGroupSpec, old: Node, image: str) -> Node:
    provision.replace_node(session, nodegroup, old, image)
    (new,) = [n for n in session.nodes(nodegroup.name) if n.name == old.name]
    bootstrap.wait_runtimes(session, [new], bootstrap.RUNTIME_TIMEOUT)
    # kubeadm of the old version wrote a flag the new kubelet may no longer have (1.35
    # dropped --pod-infra-container-image: the sandbox image is containerd's setting)
    session.run(new, ["sed", "-i", _OLD_FLAGS, KUBEADM_FLAGS], "update the kubelet's flags")
    bootstrap.import_images(session, [new])
    return new


def _master(session: Session, group: NodeGroupSpec, old: Node, image: str, tag: str) -> None:
    new = _replace(session, group, old, image)
    wait_until(
        f"wait for the API server on {new.name}",
        lambda: None if session.succeeds(new, bootstrap.readyz()) else "not ready",
        TIMEOUT,
    )
    bootstrap.wait_ready(session, [new.name], TIMEOUT)  # kubeadm checks the masters are
    # kubeadm's own check that pods still run (a Job it gives 15 s) is skipped: on a busy
    # host it times out, and the step after this one waits for every node to be Ready
    if _cluster_version(session, new) == tag:
        # another master moved the cluster on already: this one follows it
        argv = ["kubeadm", "upgrade", "node", _PREFLIGHT]
    else:
        argv = ["kubeadm", "upgrade", "apply", tag, "--yes", f"{_PREFLIGHT},CreateJob"]
    session.run(new, argv, "upgrade the control plane")
    bootstrap.wait_ready(session, [new.name], TIMEOUT)


def _cluster_version(session: Session, master: Node) -> str | None:
    """The version kubeadm's cluster-wide configuration is at (``upgrade apply`` moves
    it; each further master then only needs ``upgrade node``)."""
    found = session.kubectl_json(
        ["-n", "kube-system", "get", "configmap", "kubeadm-config"], "read kubeadm-config", master
    )
    config = yaml.safe_load(found.get("data", {}).get("ClusterConfiguration", "")) or {}
    version = config.get("kubernetesVersion")
    return str(version) if version else None


def _workers(session: Session, group: NodeGroupSpec, batch: Sequence[Node], image: str) -> None:
    membership.drain(session, batch)

    def one(old: Node) -> None:
        new = _replace(session, group, old, image)
        session.run(new, ["kubeadm", "upgrade", "node", _PREFLIGHT], "upgrade the node's kubelet")

    parallel(one, batch)
    bootstrap.wait_ready(session, [n.name for n in batch], TIMEOUT)
    master = session.api_master()
    for node in batch:
        session.kubectl(["uncordon", node.name], f"uncordon {node.name}", master)
