"""The client end to end with the real swarm-mode driver on the local Docker engine.

``moorage image build`` makes (or finds) the node image, a real cluster is created
with ``--wait``, and the Docker CLI reaches its swarm through the environment and
certificates that ``moorage cluster config`` writes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.real.conftest import docker_host  # noqa: F401  (the fixture, re-used)
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real
MOORAGE = str(Path(sys.executable).parent / "moorage")


def moorage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MOORAGE, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def real_server(
    docker_host: docker.DockerClient,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    built = moorage("image", "build")
    assert built.returncode == 0, built.stderr
    assert built.stdout == "Node image ready: moorage-node:latest\n"
    with serve(tmp_path_factory.mktemp("real"), fake=False) as live:
        yield live


def test_swarm_cluster_reached_with_the_docker_cli(real_server: LiveServer, tmp_path: Path) -> None:
    url = ["--url", real_server.url]
    template = moorage(
        *url, "template", "create", "real-swarm", "--coe", "swarm-mode", "--image", "moorage-node",
        "--external-network", "public", "--flavor", "m1.small", "--master-flavor", "m1.small",
    )  # fmt: skip
    assert template.returncode == 0, template.stderr
    created = moorage(
        *url, "cluster", "create", "real-c", "--cluster-template", "real-swarm",
        "--wait", "--poll-interval", "0.5",
    )  # fmt: skip
    try:
        assert created.returncode == 0, created.stderr
        assert created.stderr.splitlines()[-1] == "cluster real-c: CREATE_COMPLETE"
        config = moorage(*url, "cluster", "config", "real-c", "--dir", str(tmp_path))
        assert config.returncode == 0, config.stderr
        assert config.stdout.startswith("export DOCKER_HOST=tcp://")
        info = _bash(
            config.stdout + "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.Nodes}}'"
        )
        assert info.split() == ["active", "2"]
        _resize_naming_a_worker_as_the_readme_does(url, config.stdout)
    finally:
        deleted = moorage(*url, "cluster", "delete", "real-c", "--wait", "--poll-interval", "0.5")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stderr.splitlines()[-1] == "cluster real-c: deleted"


def _resize_naming_a_worker_as_the_readme_does(url: list[str], env: str) -> None:
    """README, "A cluster in four commands": the node to remove is named by its swarm
    hostname; a name the cluster does not have is refused, naming the nodes it has."""
    nodes = "docker node ls --filter role=worker --format '{{.ID}} {{.Hostname}}'"
    before = _bash(env + nodes).split()
    refused = moorage(
        *url, "cluster", "resize", "real-c", "1",
        "--nodes-to-remove", "demo-1a2b3c4d-default-worker-0",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "Nodes to remove not found in nodegroup default-worker" in refused.stderr
    assert f"Its nodes: {before[1]} " in refused.stderr
    command = (
        f"{MOORAGE} {' '.join(url)} cluster resize real-c 1 --poll-interval 0.5 --wait "
        "--nodes-to-remove "
        "\"$(docker node ls --filter role=worker --format '{{.Hostname}}' | tail -n 1)\""
    )
    resized = subprocess.run(
        ["bash", "-c", env + command], capture_output=True, text=True, timeout=300
    )
    assert resized.returncode == 0, resized.stderr
    assert resized.stderr.splitlines()[-1] == "cluster real-c: UPDATE_COMPLETE"
    after = _bash(env + nodes).split()
    # the one worker went and a new one took its place (and its name: the lowest free)
    assert len(after) == 2 and after[0] != before[0]


def _bash(script: str) -> str:
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
