"""The ``noop`` provider: nodes that exist only as records, as Octavia's no-op driver.

With the template label ``provider=noop`` a cluster goes through the API and the
conductor as any other (create, resize, upgrade, delete, node addresses and an
``api_address``), but no node runs anywhere: the API, the CLI, Magnum's clients
and load tests work on a machine with no Docker engine. No COE can run on a
record, so a cluster driver composed with this provider does only the node
bookkeeping (``moorage.drivers.records``).

The records are a JSON file below ``state_path``, locked across threads and
processes, so that every conductor of the machine sees the same nodes and a
restarted one still finds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

from moorage import config
from moorage.drivers.providers.base import Files, Network, Node, NodeSpec, Provider, Ran
from moorage.exceptions import DriverError

SUBNET = "192.168.128.0/24"
GATEWAY = "192.168.128.1"
STATE_FILE = "noop-nodes.json"

_thread_lock = threading.Lock()


@contextlib.contextmanager
def _records() -> Iterator[dict[str, Any]]:
    """The records, read and written back under the lock."""
    with _thread_lock, open(config.state_path(STATE_FILE), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.seek(0)
            data: dict[str, Any] = json.loads(f.read() or "{}")
            data.setdefault("nodes", {})
            before = json.dumps(data)
            yield data
            if json.dumps(data) != before:
                f.seek(0)
                f.truncate()
                f.write(json.dumps(data))
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class NoopProvider(Provider):
    runs_nodes = False

    def ensure_network(self, cluster: str, existing: str | None = None) -> Network:
        return Network(existing or cluster, SUBNET, GATEWAY, owned=existing is None)

    def addresses_in_use(self, network: Network) -> set[str]:
        return set()  # a record takes no address of anyone else's

    def create_node(self, spec: NodeSpec) -> None:
        with _records() as data:
            data["nodes"][spec.name] = asdict(
                Node(
                    name=spec.name,
                    id=uuid.uuid4().hex,
                    ip=spec.ip,
                    nodegroup=spec.nodegroup,
                    role=spec.role,
                    state="running",
                    image=spec.image,
                    host_port=(spec.host_port or spec.api_port) if spec.publish else None,
                )
            ) | {"cluster": spec.cluster}

    def find_nodes(self, cluster: str, nodegroup: str | None = None) -> list[Node]:
        with _records() as data:
            found = [
                Node(**{k: v for k, v in record.items() if k != "cluster"})
                for record in data["nodes"].values()
                if record["cluster"] == cluster
                and (nodegroup is None or record["nodegroup"] == nodegroup)
            ]
        return sorted(found, key=lambda n: n.name)

    def remove_node(self, name: str, keep_state: bool = False) -> None:
        with _records() as data:
            data["nodes"].pop(name, None)

    def restart_node(self, name: str) -> None:
        with _records() as data:
            if name in data["nodes"]:
                data["nodes"][name]["state"] = "running"

    def down_reason(self, name: str) -> str | None:
        with _records() as data:
            return None if name in data["nodes"] else f"node {name} is gone"

    def put_files(self, name: str, files: Files) -> None:
        """Files go nowhere: there is no node to hold them."""

    def run(self, name: str, argv: Sequence[str]) -> Ran:
        raise DriverError(
            f"run {argv[0] if argv else 'nothing'} in node {name}: noop nodes run nothing"
        )

    def image_exists(self, ref: str) -> bool:
        return True  # every image is as good as any other on a record

    def image_archive(self, ref: str) -> bytes:
        return b""

    def address(self, node: Node, port: int, public: bool = False) -> str:
        return f"{node.ip}:{port}"

    def remove_cluster(self, cluster: str) -> None:
        with _records() as data:
            data["nodes"] = {k: v for k, v in data["nodes"].items() if v["cluster"] != cluster}
