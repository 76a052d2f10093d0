"""The README's Kubernetes quickstart, run as written (the block between the
``kubernetes-quickstart`` markers) against a real ``moorage serve``, from the
repository's root with a home directory of its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.real.test_kubernetes_service import KUBE_VERSION, k8s_image, moorage_bin  # noqa: F401
from tests.real.test_swarm_service import MOORAGE, owned
from tests.support.live import LiveServer, serve

pytestmark = pytest.mark.real
ROOT = Path(__file__).resolve().parents[2]


def quickstart() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(
        r"<!-- kubernetes-quickstart -->\n```sh\n(.*?)```\n<!-- /kubernetes-quickstart -->",
        text,
        re.S,
    )
    assert found, "the README has no kubernetes-quickstart block"
    return found.group(1)


@pytest.fixture
def live(k8s_image: str, tmp_path: Path) -> Iterator[LiveServer]:  # noqa: F811
    with serve(tmp_path / "serve", fake=False) as server:
        yield server


def test_the_quickstart_runs_as_written(
    live: LiveServer, docker_host: docker.DockerClient, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "MOORAGE_URL": live.url}
    env.pop("KUBECONFIG", None)
    script = "set -euo pipefail\n" + quickstart()
    try:
        done = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        header = max(i for i, line in enumerate(lines) if line.split()[:2] == ["NAME", "STATUS"])
        rows = [line.split() for line in lines[header + 1 :]]  # what `kubectl get nodes` printed
        assert len(rows) == 3 and {r[1] for r in rows} == {"Ready"}, done.stdout
        assert {r[-1] for r in rows} == {KUBE_VERSION}
        assert (home / ".moorage" / "kdemo" / "config").exists()
    finally:
        shown = subprocess.run(
            [MOORAGE, "cluster", "show", "kdemo", "-f", "json"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        uuid = json.loads(shown.stdout)["uuid"] if shown.returncode == 0 else None
        subprocess.run(
            [MOORAGE, "cluster", "delete", "kdemo", "--wait"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    if uuid:
        assert owned(docker_host, uuid) == {"containers": [], "networks": [], "volumes": []}
