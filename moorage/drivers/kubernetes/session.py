"""The node layer's session plus what a Kubernetes operation does inside its nodes.

Kubernetes is driven from inside its masters, as an operator would with
``kubeadm`` and ``kubectl``: the provider runs the command in the node, and the
admin credentials never leave it. A failed command is a ``DriverError`` naming the
node, the command and the last lines it printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from moorage.drivers.base import ClusterSpec
from moorage.drivers.kubernetes import kubeadm, node_config
from moorage.drivers.kubernetes.kubeadm import Versions
from moorage.drivers.nodes import layout, session
from moorage.drivers.providers.base import Node, Provider
from moorage.exceptions import DriverError

VERSIONS_FILE = "/etc/moorage/versions.env"
# How much of a failed command's output reaches status_reason.
_TAIL_LINES = 6
POLL_INTERVAL = 0.5


def tail(text: str, lines: int = _TAIL_LINES) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(kept[-lines:])


class Session(session.Session):
    def __init__(self, spec: ClusterSpec, provider: Provider | None = None) -> None:
        # kubeadm makes every certificate from the CA in the node: no client certificate
        super().__init__(spec, node_config.recipe(spec), provider, need_tls=False)
        self._versions: Versions | None = None

    def run(self, target: Node, argv: Sequence[str], what: str) -> str:
        """Run ``argv`` in ``target``; its output, or ``DriverError`` on a non-zero exit."""
        ran = self.provider.run(target.name, argv)
        if ran.exit_code != 0:
            raise DriverError(
                f"{what} on node {target.name}: `{' '.join(argv[:3])}` exited {ran.exit_code}: "
                f"{tail(ran.output)}"
            )
        return ran.output

    def succeeds(self, target: Node, argv: Sequence[str]) -> bool:
        return self.provider.run(target.name, argv).exit_code == 0

    def running(self, nodegroup: str | None = None) -> list[Node]:
        return [n for n in self.nodes(nodegroup) if n.state == "running"]

    def masters(self) -> list[Node]:
        return [n for n in self.running() if n.role == layout.MASTER_ROLE]

    def versions(self) -> Versions:
        """What the node image carries, read once from the first running node."""
        if self._versions is None:
            nodes = self.running()
            if not nodes:
                raise DriverError(
                    f"cluster {self.spec.uuid}: no running node to read versions from"
                )
            text = self.run(nodes[0], ["cat", VERSIONS_FILE], "read the node image's versions")
            try:
                self._versions = Versions.parse(text)
            except (KeyError, ValueError) as exc:
                raise DriverError(
                    f"read {VERSIONS_FILE} on node {nodes[0].name}: not a Kubernetes node "
                    f"image of this Moorage ({exc!r} missing)"
                ) from exc
        return self._versions

    def api_master(self, exclude: Sequence[str] = ()) -> Node:
        """A running master whose API server is ready (never assume the first one is)."""
        errors = []
        for candidate in self.masters():
            if candidate.name in exclude:
                continue
            try:
                ran = self.provider.run(
                    candidate.name, self._kubectl_argv(["get", "--raw", "/readyz"])
                )
            except DriverError as exc:  # stopped since it was listed: ask the next one
                errors.append(str(exc))
                continue
            if ran.exit_code == 0:
                return candidate
            errors.append(f"{candidate.name}: {tail(ran.output, 2)}")
        detail = "; ".join(errors) or "the cluster has no running master"
        raise DriverError(f"find a master whose API server is ready: {detail}")

    @staticmethod
    def _kubectl_argv(args: Sequence[str]) -> list[str]:
        return [*kubeadm.local_kubectl(), "--request-timeout=20s", *args]

    def kubectl(self, args: Sequence[str], what: str, on: Node | None = None) -> str:
        return self.run(on or self.api_master(), self._kubectl_argv(args), what)

    def kubectl_json(self, args: Sequence[str], what: str, on: Node | None = None) -> Any:
        """``kubectl ... -o json``'s document; a ``DriverError`` when it printed none."""
        output = self.kubectl([*args, "-o", "json"], what, on)
        try:
            return json.loads(output)
        except ValueError as exc:
            raise DriverError(f"{what}: kubectl printed no JSON: {tail(output, 2)!r}") from exc

    def kube_nodes(self, on: Node | None = None) -> dict[str, dict[str, Any]]:
        """The cluster's Node objects by name (= node container name)."""
        listed = self.kubectl_json(["get", "nodes"], "list nodes", on)
        return {item["metadata"]["name"]: item for item in listed.get("items", [])}


def is_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def wait_until(what: str, check: Callable[[], str | None], timeout: float) -> None:
    """Poll ``check`` (None: done; else what is still missing) until done or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            missing = check()
        except DriverError as exc:
            missing = str(exc)
        if missing is None:
            return
        if time.monotonic() >= deadline:
            raise DriverError(f"{what}: not done after {timeout:.0f} s: {missing}")
        time.sleep(POLL_INTERVAL)
