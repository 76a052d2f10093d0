"""Rotating the cluster CA: everything signed by the old one is issued again from the new.

kubeadm signs the control plane's certificates and kubeconfigs with the CA in
``/etc/kubernetes/pki``, so the new CA goes there first and kubeadm renews what it
signed; each kubelet gets a client certificate from the new CA; then the control
plane and the pods that talk to it restart so that they trust only the new one.
Afterwards a certificate from the old CA is refused by the API server.
"""

from __future__ import annotations

import base64
import json
from functools import partial

import yaml

from moorage.drivers import steps
from moorage.drivers.base import Progress
from moorage.drivers.kubernetes import bootstrap, kubeadm
from moorage.drivers.kubernetes.session import Session, wait_until
from moorage.drivers.nodes.parallel import parallel
from moorage.drivers.providers.base import Node
from moorage.drivers.steps import Step
from moorage.exceptions import DriverError

# What kubeadm signed with the cluster CA (the front proxy and etcd have CAs of their own).
RENEWED = [
    "apiserver",
    "apiserver-kubelet-client",
    "admin.conf",
    "super-admin.conf",
    "controller-manager.conf",
    "scheduler.conf",
]
CONTROL_PLANE = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]
TIMEOUT = 180.0


def rotate_ca(session: Session, progress: Progress) -> None:
    ca = session.spec.ca
    if ca is None:
        raise DriverError(f"rotate the CA of cluster {session.spec.uuid}: no CA given")
    masters, nodes = session.masters(), session.running()
    steps.run(
        progress,
        [
            Step("writing the new CA into every node", partial(_write_ca, session, nodes)),
            Step("renewing the control plane's certificates", partial(_renew, session, masters)),
            Step("restarting the control plane", partial(_restart_control_plane, session, masters)),
            Step("issuing each kubelet a certificate", partial(_kubelets, session, nodes)),
            Step("publishing the new CA to joining nodes", partial(_cluster_info, session)),
            Step("restarting the system pods", partial(_restart_system_pods, session)),
            Step(
                "waiting for the system pods",
                lambda: bootstrap.wait_rolled_out(session, bootstrap.SYSTEM_PODS, TIMEOUT),
            ),
            Step(
                "waiting for every node to be Ready",
                lambda: bootstrap.wait_ready(session, [n.name for n in nodes], TIMEOUT),
            ),
        ],
    )


def _write_ca(session: Session, nodes: list[Node]) -> None:
    ca = session.spec.ca
    assert ca is not None  # checked by rotate_ca

    def write(target: Node) -> None:
        files = {f"{kubeadm.PKI}/ca.crt": (ca.cert_pem.encode(), 0o644)}
        if target in session.masters():
            files[f"{kubeadm.PKI}/ca.key"] = (ca.key_pem.encode(), 0o600)
        session.provider.put_files(target.name, files)

    parallel(write, nodes)


def _renew(session: Session, masters: list[Node]) -> None:
    for master in masters:
        for what in RENEWED:
            session.run(
                master,
                ["kubeadm", "certs", "renew", what, f"--config={bootstrap.INIT_CONFIG}"],
                f"renew {what}",
            )


def _restart_control_plane(session: Session, masters: list[Node]) -> None:
    # the kubelet starts a static pod's container again when its process ends
    script = "pkill -x " + "; pkill -x ".join(CONTROL_PLANE) + "; true"
    for master in masters:
        session.run(master, ["sh", "-c", script], "restart the control plane")
        wait_until(
            f"wait for the API server on {master.name}",
            partial(_not_ready, session, master),
            TIMEOUT,
        )


def _not_ready(session: Session, master: Node) -> str | None:
    return None if session.succeeds(master, bootstrap.readyz()) else "not ready"


def _kubelets(session: Session, nodes: list[Node]) -> None:
    """A kubelet's kubeconfig from the new CA, made on the first master (which has the
    key) and written into the node; the kubelet restarts with it."""
    first = bootstrap.first_master(session)

    def issue(target: Node) -> None:
        config = session.run(
            first,
            [
                "kubeadm",
                "kubeconfig",
                "user",
                f"--config={bootstrap.INIT_CONFIG}",
                f"--client-name=system:node:{target.name}",
                "--org=system:nodes",
            ],
            f"issue the kubelet credentials of {target.name}",
        )
        session.provider.put_files(
            target.name, {"/etc/kubernetes/kubelet.conf": (config.encode(), 0o600)}
        )
        session.run(
            target,
            ["sh", "-c", "rm -f /var/lib/kubelet/pki/kubelet-client-*; pkill -x kubelet; true"],
            "restart the kubelet",
        )

    parallel(issue, nodes)


def _restart_system_pods(session: Session) -> None:
    """Pods that talk to the API server read the CA once: they start again once the
    controller-manager has published the new one to every namespace."""
    ca = session.spec.ca
    assert ca is not None
    master = session.api_master()

    def published() -> str | None:
        found = session.kubectl_json(
            ["-n", "kube-system", "get", "configmap", "kube-root-ca.crt"],
            "read the published CA",
            master,
        )
        same = found.get("data", {}).get("ca.crt", "").strip() == ca.cert_pem.strip()
        return None if same else "the old CA is still published"

    wait_until("wait for the new CA to be published", published, TIMEOUT)
    for namespace, workload in bootstrap.SYSTEM_PODS:
        session.kubectl(
            ["-n", namespace, "rollout", "restart", workload], f"restart {workload}", master
        )


def _cluster_info(session: Session) -> None:
    """The CA a joining node trusts comes from kube-public's cluster-info, which kubeadm
    wrote once at init: it gets the new CA (the controller-manager signs it again for
    each bootstrap token), else every node joined later is refused."""
    ca = session.spec.ca
    assert ca is not None
    master = session.api_master()
    argv = ["-n", "kube-public", "get", "configmap", "cluster-info"]
    found = session.kubectl_json(argv, "read cluster-info", master)
    kubeconfig = yaml.safe_load(found["data"]["kubeconfig"])
    for entry in kubeconfig["clusters"]:
        entry["cluster"]["certificate-authority-data"] = base64.b64encode(
            ca.cert_pem.encode()
        ).decode()
    found["data"]["kubeconfig"] = yaml.safe_dump(kubeconfig)
    path = f"{bootstrap.CONFIG_DIR}/cluster-info.json"
    session.provider.put_files(master.name, {path: (json.dumps(found).encode(), 0o600)})
    session.kubectl(["replace", "-f", path], "publish the new CA in cluster-info", master)
