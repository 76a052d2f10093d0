"""What runs on a swarm node: its Docker engine's arguments, ports and environment.

The node layer makes the nodes from this ``Recipe``; everything here is Swarm's.
"""

from __future__ import annotations

from moorage.drivers.base import ClusterSpec, TemplateSpec
from moorage.drivers.nodes.session import Recipe

API_PORT = 2375  # Magnum's swarm-mode drivers put the Docker API (with TLS) on 2375
SWARM_PORT = 2377
DEFAULT_IMAGE = "moorage-node"
TLS_DIR = "/etc/docker/tls"

# There is no registry: the swarm agent must use the images loaded into the nodes and
# never try to pull (with the node's DNS pointed at nothing, a pull fails anyway;
# this makes it not even try).
NODE_ENVIRONMENT = {"DOCKER_SERVICE_PREFER_OFFLINE_IMAGE": "1"}


def dockerd_args(tls: bool, template: TemplateSpec) -> list[str]:
    """The node engine's arguments: the API on TCP (TLS unless the template disables it),
    no outside DNS for containers, a short shutdown so restarts stay quick."""
    args = [
        "--host=unix:///var/run/docker.sock",
        f"--host=tcp://0.0.0.0:{API_PORT}",
        "--dns=127.0.0.1",
        "--shutdown-timeout=5",
    ]
    if tls:
        args += [
            "--tlsverify",
            f"--tlscacert={TLS_DIR}/ca.pem",
            f"--tlscert={TLS_DIR}/server-cert.pem",
            f"--tlskey={TLS_DIR}/server-key.pem",
        ]
    else:
        args.append("--tls=false")  # without it dockerd delays its start by 15 s
    for registry in (template.insecure_registry or "").split(","):
        if registry.strip():
            args.append(f"--insecure-registry={registry.strip()}")
    return args


def recipe(spec: ClusterSpec) -> Recipe:
    tls = not spec.template.tls_disabled
    return Recipe(
        default_image=DEFAULT_IMAGE,
        command=dockerd_args(tls, spec.template),
        api_port=API_PORT,
        tls_dir=TLS_DIR,
        environment=NODE_ENVIRONMENT,
    )
