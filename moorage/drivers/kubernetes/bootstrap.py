"""Bringing nodes into the cluster: runtimes up, images in, kubeadm init and join,
each node's pod network, and the waits for Ready.

Every function starts from what exists (a node that is registered is not joined
again, an initialised control plane is not initialised again), so a resumed or
repeated operation converges.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from typing import Any

import yaml

from moorage.drivers.base import ClusterSpec
from moorage.drivers.kubernetes import kubeadm, network
from moorage.drivers.kubernetes.kubeadm import Member
from moorage.drivers.kubernetes.session import Session, is_ready, wait_until
from moorage.drivers.nodes import layout
from moorage.drivers.nodes.parallel import parallel
from moorage.drivers.providers.base import Node
from moorage.exceptions import DriverError

IMAGES = "/opt/moorage/images"
CONFIG_DIR = "/etc/kubernetes/moorage"
INIT_CONFIG = f"{CONFIG_DIR}/init.yaml"
CNI_FILE = "/etc/cni/net.d/10-moorage-flannel.conflist"
RUNTIME_TIMEOUT = 60.0
READY_TIMEOUT = 180.0
# What every node runs for its pods' traffic: a node is Ready before these are.
NETWORK_PODS = [
    ("kube-flannel", "daemonset/kube-flannel-ds"),
    ("kube-system", "daemonset/kube-proxy"),
]
# ...and with them what every cluster runs (restarted by a CA rotation, moved by an upgrade)
SYSTEM_PODS = [*NETWORK_PODS, ("kube-system", "deployment/coredns")]
_JOIN = re.compile(r"--token (\S+) .*--discovery-token-ca-cert-hash (\S+)")


def member(target: Node) -> Member:
    return Member(target.name, target.ip, target.nodegroup, target.role)


def readyz() -> list[str]:
    """The command that succeeds in a master once its own API server is ready."""
    return [*kubeadm.local_kubectl(), "get", "--raw", "/readyz"]


def first_master(session: Session) -> Node:
    masters = sorted(session.masters(), key=lambda n: n.name)
    if not masters:
        raise DriverError(f"cluster {session.spec.uuid}: no running master node")
    return masters[0]


def wait_runtimes(session: Session, nodes: Sequence[Node], timeout: float) -> None:
    def wait(target: Node) -> None:
        wait_until(
            f"wait for containerd on node {target.name}",
            lambda: None if session.succeeds(target, ["ctr", "version"]) else "not answering",
            timeout,
        )

    parallel(wait, nodes)


def import_images(session: Session, nodes: Sequence[Node]) -> None:
    """The cluster's own images into each node's containerd, once per node disk."""

    def load(target: Node) -> None:
        tar = "control-plane" if target.role == layout.MASTER_ROLE else "worker"
        marker = f"/var/lib/containerd/.moorage-{tar}-{session.versions().kube}"
        script = (
            f"test -f {marker} || "
            f"(ctr -n k8s.io images import {IMAGES}/{tar}.tar >/dev/null && touch {marker})"
        )
        session.run(target, ["sh", "-c", script], f"import the {tar} images")

    parallel(load, nodes)


def endpoint(session: Session) -> str:
    """Where nodes reach the API servers (kubeadm's ``controlPlaneEndpoint``): the load
    balancer when the cluster has one, else its one master."""
    front = session.balancer() or first_master(session)
    return f"{front.ip}:{kubeadm.API_PORT}"


def api_sans(session: Session) -> list[str]:
    """Names the API servers' certificates carry: every master's address, the load
    balancer's, and the host-side address users reach the published port on."""
    front = session.balancer()
    extra = [front.ip] if front is not None else []
    return ["127.0.0.1", "localhost", *extra, *(n.ip for n in session.masters())]


def has_workers(spec: ClusterSpec) -> bool:
    return any(not layout.is_manager(g) and g.node_count > 0 for g in spec.nodegroups)


def master_config(session: Session, target: Node, certificate_key: str) -> str:
    """The kubeadm configuration of a master: ``init`` runs it on the first one, and
    every master keeps it for ``kubeadm certs renew`` (a CA rotation)."""
    spec = session.spec
    return kubeadm.init_config(
        spec.name,
        member(target),
        endpoint(session),
        api_sans(session),
        session.versions(),
        network.pod_network(layout.labels(spec)),
        taint_masters=has_workers(spec),
        certificate_key=certificate_key,
    )


def init_control_plane(session: Session) -> None:
    """``kubeadm init`` on the first master with the cluster's CA, unless it is done."""
    first = first_master(session)
    if session.succeeds(first, ["test", "-f", kubeadm.ADMIN_CONF]):
        return
    spec = session.spec
    if spec.ca is None:
        raise DriverError(f"cluster {spec.uuid}: no CA given for the Kubernetes control plane")
    # the key the control plane's certificates travel under to the other masters
    config = master_config(session, first, secrets.token_hex(32))
    # what a half-done init left (static pods, certificates) goes first
    reset(session, first, "reset the first master")
    session.provider.put_files(
        first.name,
        {
            f"{kubeadm.PKI}/ca.crt": (spec.ca.cert_pem.encode(), 0o644),
            f"{kubeadm.PKI}/ca.key": (spec.ca.key_pem.encode(), 0o600),
            INIT_CONFIG: (config.encode(), 0o600),
        },
    )
    session.run(
        first,
        ["kubeadm", "init", f"--config={INIT_CONFIG}", "--skip-phases=preflight"],
        "initialise the control plane",
    )


def _upload_certs(session: Session) -> str:
    """The control plane's certificates into the cluster for ``join --control-plane``,
    encrypted with the key in the first master's configuration (kubeadm deletes them
    after two hours, so they go up again before every master join); returns the key."""
    first = first_master(session)
    text = session.run(first, ["cat", INIT_CONFIG], "read the first master's configuration")
    keys = [d.get("certificateKey") for d in yaml.safe_load_all(text) if d]
    key = next((k for k in keys if k), None)
    if key is None:
        raise DriverError(
            f"add a master: {INIT_CONFIG} on {first.name} has no certificateKey (the cluster "
            "was made with one master and no load balancer)"
        )
    session.run(
        first,
        ["kubeadm", "init", "phase", "upload-certs", "--upload-certs", f"--config={INIT_CONFIG}"],
        "upload the control plane's certificates",
    )
    return str(key)


def _join_command(session: Session, master: Node) -> tuple[str, str]:
    """A fresh bootstrap token and the CA's hash (the token expires after 15 minutes)."""
    out = session.run(
        master,
        ["kubeadm", "token", "create", "--print-join-command", "--ttl", "15m"],
        "create a bootstrap token",
    )
    found = _JOIN.search(out)
    if found is None:
        raise DriverError(
            f"create a bootstrap token on node {master.name}: no join command printed"
        )
    return found.group(1), found.group(2)


def join_nodes(session: Session, candidates: Sequence[Node]) -> None:
    """``kubeadm join`` every candidate that is not a registered node yet, in parallel."""
    master = session.api_master()
    _forget_orphans(session, master)
    kubelet_conf = ["test", "-f", "/etc/kubernetes/kubelet.conf"]
    todo = [n for n in candidates if not session.succeeds(n, kubelet_conf)]
    if not todo:
        return
    registered = session.kube_nodes(master)
    for stale in [n.name for n in todo if n.name in registered]:
        # a node made again under a name the cluster still knows (auto-healing, say)
        session.kubectl(["delete", "node", stale], f"forget the old node {stale}", master)
    token, ca_hash = _join_command(session, master)
    where = endpoint(session)
    taint = has_workers(session.spec)

    def join(target: Node, key: str | None = None) -> None:
        config = kubeadm.join_config(member(target), where, token, ca_hash, key, taint=taint)
        files = {f"{CONFIG_DIR}/join.yaml": (config.encode(), 0o600)}
        if key is not None:
            files[INIT_CONFIG] = (master_config(session, target, key).encode(), 0o600)
        reset(session, target, "reset the node before it joins")
        session.provider.put_files(target.name, files)
        session.run(
            target,
            ["kubeadm", "join", f"--config={CONFIG_DIR}/join.yaml", "--skip-phases=preflight"],
            "join the control plane" if key else "join the cluster",
        )

    masters = [n for n in todo if n.role == layout.MASTER_ROLE]
    if masters:
        key = _upload_certs(session)
        for target in masters:  # one at a time: each one adds a member to etcd
            join(target, key)
    parallel(join, [n for n in todo if n.role != layout.MASTER_ROLE])


def _forget_orphans(session: Session, master: Node) -> None:
    """Delete the Node objects of this cluster's nodes that no longer exist at all."""
    prefix = layout.cluster_prefix(session.spec)
    present = {n.name for n in session.nodes()}
    for name in session.kube_nodes(master):
        if name.startswith(prefix) and name not in present:
            session.kubectl(
                ["delete", "node", name, "--ignore-not-found"], f"forget {name}", master
            )


def _pod_cidr(node: dict[str, Any]) -> str | None:
    cidr = node.get("spec", {}).get("podCIDR")
    return str(cidr) if cidr else None


def _allocates_subnets(session: Session, master: Node) -> bool:
    """Whether the driver gives nodes their pod subnets (clusters made before it did
    leave that to the controller-manager, and two allocators would collide)."""
    manifest = "/etc/kubernetes/manifests/kube-controller-manager.yaml"
    return session.succeeds(master, ["grep", "-q", "--", "--allocate-node-cidrs=false", manifest])


def _allocate(
    session: Session,
    master: Node,
    pods: network.PodNetwork,
    found: dict[str, Any],
    names: Sequence[str],
) -> None:
    """Give each registered node of ``names`` without a pod subnet the lowest free one.
    One operation at a time runs on a cluster, so nothing else allocates meanwhile; a
    patch that loses to another fails and the next poll reads what won."""
    waiting = [n for n in names if n in found and _pod_cidr(found[n]) is None]
    used = {c for c in map(_pod_cidr, found.values()) if c}
    for name, subnet in zip(waiting, network.free_subnets(pods, used, len(waiting)), strict=True):
        patch = json.dumps({"spec": {"podCIDR": subnet, "podCIDRs": [subnet]}})
        session.kubectl(["patch", "node", name, "-p", patch], f"give {name} a pod subnet", master)
        found[name].setdefault("spec", {})["podCIDR"] = subnet


def write_pod_networks(session: Session, nodes: Sequence[Node], timeout: float) -> None:
    """Each node's CNI config for its pod subnet (given by the driver, or by the
    controller-manager in clusters made before the driver did it)."""
    pods = network.pod_network(layout.labels(session.spec))
    master = session.api_master()
    allocates = _allocates_subnets(session, master)
    subnets: dict[str, str] = {}

    def allocated() -> str | None:
        found = session.kube_nodes(master)
        if allocates:
            _allocate(session, master, pods, found, [n.name for n in nodes])
        for target in nodes:
            cidr = _pod_cidr(found.get(target.name, {}))
            if cidr:
                subnets[target.name] = cidr
        missing = [n.name for n in nodes if n.name not in subnets]
        return f"no pod subnet yet for {', '.join(missing)}" if missing else None

    wait_until("wait for the nodes' pod subnets", allocated, timeout)
    for target in nodes:
        text = kubeadm.cni_config(subnets[target.name], pods)
        session.provider.put_files(target.name, {CNI_FILE: (text.encode(), 0o644)})


def wait_ready(session: Session, names: Sequence[str], timeout: float) -> None:
    master = session.api_master()

    def check() -> str | None:
        found = session.kube_nodes(master)
        waiting = [n for n in names if not (n in found and is_ready(found[n]))]
        return f"not Ready: {', '.join(waiting)}" if waiting else None

    wait_until("wait for the nodes to be Ready", check, timeout)


def wait_rolled_out(session: Session, workloads: Sequence[tuple[str, str]], timeout: float) -> None:
    """Wait until each ``(namespace, kind/name)`` runs its current spec on every pod it
    wants (what ``kubectl rollout status`` waits for, polled so no watch is held open)."""
    master = session.api_master()

    def behind(namespace: str, workload: str) -> str | None:
        found = session.kubectl_json(["-n", namespace, "get", workload], f"read {workload}", master)
        status, generation = found.get("status", {}), found["metadata"].get("generation")
        if workload.startswith("daemonset/"):
            wanted = status.get("desiredNumberScheduled", 0)
            done = min(status.get("updatedNumberScheduled", 0), status.get("numberReady", 0))
        else:
            wanted = found.get("spec", {}).get("replicas", 1)
            done = min(status.get("updatedReplicas", 0), status.get("readyReplicas", 0))
        if status.get("observedGeneration") != generation or not wanted or done < wanted:
            return f"{workload}: {done} of {wanted} pods updated and ready"
        return None

    def check() -> str | None:
        late = [b for b in (behind(ns, w) for ns, w in workloads) if b]
        return "; ".join(late) or None

    wait_until("wait for the system pods", check, timeout)


def wait_dns(session: Session, timeout: float) -> None:
    wait_rolled_out(session, [("kube-system", "deployment/coredns")], timeout)


def reset(session: Session, target: Node, what: str) -> None:
    """Undo what a half-done init or join left on a node; a node that has none is left be."""
    script = (
        'test ! -f /etc/kubernetes/kubelet.conf && test -z "$(ls /etc/kubernetes/manifests)" '
        "|| kubeadm reset -f"
    )
    session.run(target, ["sh", "-c", script], what)
