"""Node containers: a container that runs its own Docker engine, one per cluster node.

``--privileged`` is impossible on a host whose capability bounding set lacks
CAP_SYS_RESOURCE, and too much anyway: a node gets the capabilities and the seccomp
profile of ``confinement.py`` (what nested runtimes need, nothing that acts on the
host as a whole), apparmor unconfined, no masked or read-only /proc paths
(the CLI's ``systempaths=unconfined``, which the API spells as two empty lists),
a private cgroup namespace, and a named volume for /var/lib/docker (overlay2 on
the container's own overlay root falls back to vfs). The image's entrypoint runs
dockerd under tini. Every container and volume carries the cluster, node group
and role labels so that the engine itself says which nodes a cluster has.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import NetworkingConfig

from moorage.drivers import dockerapi
from moorage.drivers.providers.base import Files, Node, NodeSpec, Ran
from moorage.drivers.providers.docker import confinement
from moorage.drivers.providers.docker.labels import CLUSTER, HOST_PORT, NODE, NODEGROUP, ROLE
from moorage.exceptions import DriverError

# A node's inner engine stops its containers within --shutdown-timeout (the COE
# driver passes 5 s); give it that plus a margin before the host engine kills it.
STOP_TIMEOUT = 15


# How the host engine says that a published port is held by something else.
_PORT_IN_USE = ("address already in use", "port is already allocated")


class PortTaken(DriverError):
    """The host port a node's API is published on is held by another process."""

    def __init__(self, node_name: str, port: int, detail: str) -> None:
        super().__init__(
            f"start node container {node_name}: host port 127.0.0.1:{port} is taken by "
            f"another process ({detail})"
        )
        self.port = port


def volume_name(node_name: str, index: int = 0) -> str:
    """The node's volume for its ``index``-th state path (the first keeps its old name)."""
    return f"{node_name}-var" if index == 0 else f"{node_name}-var{index}"


def _tar(files: Files) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, (data, mode) in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def put_files(client: docker.DockerClient, name: str, files: Files) -> None:
    """Write files into a node container (created or running), e.g. its TLS certificates."""
    dockerapi.call(f"copy files into {name}", client.api.put_archive, name, "/", _tar(files))


def _ensure_volume(client: docker.DockerClient, volume: str, labels: dict[str, str]) -> None:
    try:
        client.volumes.get(volume)
    except docker.errors.NotFound:
        dockerapi.call(f"create volume {volume}", client.volumes.create, name=volume, labels=labels)
    except docker.errors.APIError as exc:
        raise DriverError(f"inspect volume {volume}: {dockerapi.message(exc)}") from exc


def _confinement(client: docker.DockerClient, spec: NodeSpec) -> dict[str, Any]:
    """A nested runtime's rights (``confinement.py``), or none at all for a plain process."""
    if not spec.nested:
        return {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges"]}
    return {
        "cap_add": ["ALL"],
        "cap_drop": confinement.DROPPED_CAPABILITIES,
        "security_opt": confinement.security_options(client),
        "cgroupns": "private",
    }


def create(client: docker.DockerClient, spec: NodeSpec, start: bool = True) -> str:
    """Create (and start) the node container; its volumes are created or reused."""
    labels = {CLUSTER: spec.cluster, NODEGROUP: spec.nodegroup, ROLE: spec.role}
    binds: dict[str, Mapping[str, str]] = {}
    for index, path in enumerate(spec.state_paths):
        volume = volume_name(spec.name, index)
        _ensure_volume(client, volume, {**labels, NODE: spec.name})
        binds[volume] = {"bind": path, "mode": "rw"}
    ports: dict[int | str, Any] | None = None
    if spec.publish and spec.host_port is not None and spec.api_port is not None:
        ports = {spec.api_port: ("127.0.0.1", spec.host_port)}
        labels[HOST_PORT] = str(spec.host_port)
    api = client.api
    host_config = api.create_host_config(
        binds=binds,
        tmpfs=dict.fromkeys(spec.tmpfs, "") or None,
        dns=list(spec.dns) or None,
        port_bindings=ports,
        network_mode=spec.network,
        restart_policy={"Name": "unless-stopped"},
        nano_cpus=int(spec.cpus * 1e9) if spec.cpus else None,
        mem_limit=f"{spec.memory_mb}m" if spec.memory_mb else None,
        memswap_limit=f"{spec.memory_mb}m" if spec.memory_mb else None,
        **_confinement(client, spec),
    )
    if spec.nested:
        host_config["MaskedPaths"] = []
        host_config["ReadonlyPaths"] = []
    networking = NetworkingConfig()  # the SDK's stubs type the endpoint map wrongly
    networking["EndpointsConfig"] = {spec.network: api.create_endpoint_config(ipv4_address=spec.ip)}
    created = dockerapi.call(
        f"create node container {spec.name} from image {spec.image}",
        api.create_container,
        spec.image,
        list(spec.command) or None,  # none: the image's own
        name=spec.name,
        hostname=spec.name,
        detach=True,
        host_config=host_config,
        ports=list(ports) if ports else None,
        labels=labels,
        environment=dict(spec.environment) or None,
        networking_config=networking,
        stop_timeout=STOP_TIMEOUT,
        tty=spec.tty,
        use_config_proxy=False,
    )
    if spec.files:
        put_files(client, spec.name, spec.files)
    if start:
        try:
            dockerapi.call(f"start node container {spec.name}", api.start, created["Id"])
        except DriverError as exc:
            if spec.host_port is not None and any(s in str(exc) for s in _PORT_IN_USE):
                raise PortTaken(spec.name, spec.host_port, str(exc)) from exc
            raise
    return str(created["Id"])


def _ip(attrs: Mapping[str, object]) -> str:
    settings = attrs.get("NetworkSettings")
    networks = settings.get("Networks", {}) if isinstance(settings, dict) else {}
    for endpoint in (networks or {}).values():
        ipam = endpoint.get("IPAMConfig") or {}
        addr = ipam.get("IPv4Address") or endpoint.get("IPAddress")
        if addr:
            return str(addr)
    return ""


def _node(container: Container) -> Node:
    attrs = container.attrs
    labels = attrs.get("Labels") or {}
    names = attrs.get("Names") or [""]
    port = labels.get(HOST_PORT, "")
    return Node(
        name=names[0].lstrip("/"),
        id=str(attrs.get("Id", "")),
        ip=_ip(attrs),
        nodegroup=labels.get(NODEGROUP, ""),
        role=labels.get(ROLE, ""),
        state=str(attrs.get("State", "")),
        image=str(attrs.get("Image", "")),
        host_port=int(port) if port.isdigit() else None,
    )


def find(client: docker.DockerClient, cluster: str, nodegroup: str | None = None) -> list[Node]:
    """The cluster's node containers (in any state), sorted by name."""
    label = [f"{CLUSTER}={cluster}"]
    if nodegroup is not None:
        label.append(f"{NODEGROUP}={nodegroup}")
    containers = dockerapi.call(
        f"list node containers of cluster {cluster}",
        client.containers.list,
        all=True,
        sparse=True,
        filters={"label": label},
    )
    return sorted((_node(c) for c in containers), key=lambda n: n.name)


def remove(client: docker.DockerClient, name: str, keep_volume: bool = False) -> None:
    """Remove a node container (gone already is fine) and, unless kept, its volume."""
    dockerapi.call_unless_gone(
        f"remove node container {name}", client.api.remove_container, name, force=True, v=True
    )
    if not keep_volume:
        for volume in _volumes(client, f"{NODE}={name}") or [volume_name(name)]:
            remove_volume(client, volume)


def _volumes(client: docker.DockerClient, label: str) -> list[str]:
    found = dockerapi.call(
        f"list volumes labelled {label}", client.api.volumes, filters={"label": label}
    )
    return [v["Name"] for v in (found or {}).get("Volumes") or []]


def remove_volume(client: docker.DockerClient, volume: str) -> None:
    dockerapi.call_unless_gone(
        f"remove volume {volume}", client.api.remove_volume, volume, force=True
    )


def remove_cluster(client: docker.DockerClient, cluster: str) -> None:
    """Remove every container and volume labelled with the cluster, in parallel."""
    names = [n.name for n in find(client, cluster)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda name: remove(client, name), names))
    for volume in _volumes(client, f"{CLUSTER}={cluster}"):
        remove_volume(client, volume)


def down_reason(client: docker.DockerClient, name: str) -> str | None:
    """Why a node container's engine cannot answer (the container is not running), or
    None when it runs or the host engine cannot tell."""
    try:
        attrs = client.api.inspect_container(name)
    except docker.errors.NotFound:
        return f"node container {name} is gone"
    except dockerapi.ENGINE_ERRORS:
        return None
    state = attrs.get("State") or {}
    if state.get("Running"):
        return None
    return (
        f"node container {name} is {state.get('Status', 'not running')} "
        f"(exit code {state.get('ExitCode')}), so its engine is down"
    )


def run(client: docker.DockerClient, name: str, argv: Sequence[str]) -> Ran:
    """Run ``argv`` in the node container as root; its output is stdout and stderr."""
    what = f"run {argv[0] if argv else ''} in node {name}"
    started = dockerapi.call(what, client.api.exec_create, name, list(argv), user="root")
    output = dockerapi.call(what, client.api.exec_start, started["Id"])
    code = dockerapi.call(what, client.api.exec_inspect, started["Id"]).get("ExitCode")
    text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
    return Ran(exit_code=int(code if code is not None else -1), output=text)


def start(client: docker.DockerClient, name: str) -> None:
    dockerapi.call(f"start node container {name}", client.api.start, name)


def restart(client: docker.DockerClient, name: str) -> None:
    dockerapi.call(f"restart node container {name}", client.api.restart, name, timeout=STOP_TIMEOUT)
