"""Build the Kubernetes node image: the stages of ``stages.py``, run in order, cached.

A one-time setup step (``moorage image build --coe kubernetes``, ``make``), never
run in a request: cold it compiles Kubernetes from its Go module (about 20 minutes
on two busy cores); warm it does nothing. Each stage script logs to
``<cache>/k8s/logs/<stage>-<version>.log``; a failure names the stage and quotes
the end of its log. One build at a time per cache: the Go caches would survive two,
but the same tars and tags would be written twice.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from moorage.config import CONF
from moorage.drivers.providers.docker import confinement, host
from moorage.drivers.providers.docker import image as images
from moorage.drivers.providers.docker.kubernetes import stages, versions
from moorage.exceptions import DriverError

Progress = Callable[[str], None]
LOG_TAIL = 20


def cache_dir() -> Path:
    """MOORAGE_CACHE (what the scripts read too) over ``[docker] build_cache``."""
    return Path(os.environ.get("MOORAGE_CACHE") or CONF.docker.build_cache)


def log_path(cache: Path, stage: stages.Stage, r: versions.Release) -> Path:
    return cache / "k8s" / "logs" / f"{stage.name}-{r.kube}.log"


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-LOG_TAIL:])


def run_stage(stage: stages.Stage, r: versions.Release, cache: Path, env: dict[str, str]) -> float:
    """Run one stage script, its output to its log; seconds taken."""
    log = log_path(cache, stage, r)
    script = stages.package_dir() / "scripts" / stage.script
    started = time.monotonic()
    with log.open("w") as out:
        try:
            proc = subprocess.run(
                ["bash", str(script)], env=env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        except OSError as exc:
            raise DriverError(
                f"build the Kubernetes node image: stage {stage.name}: {exc}"
            ) from exc
    if proc.returncode != 0:
        raise DriverError(
            f"build the Kubernetes node image: stage {stage.name} ({stage.what}) failed "
            f"with exit status {proc.returncode}; log {log}, last lines:\n{_tail(log)}"
        )
    return time.monotonic() - started


@contextmanager
def _exclusive(cache: Path, progress: Progress) -> Iterator[None]:
    path = cache / "k8s" / "build.lock"
    with path.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"waiting for another build of this cache to finish ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _environment(
    cache: Path, r: versions.Release, versions_file: Path, seccomp_file: Path
) -> dict[str, str]:
    return {
        **os.environ,
        **versions.script_environment(r),
        "MOORAGE_CACHE": str(cache),
        "VERSIONS_ENV": str(versions_file),
        # node-image.sh runs a node to fill containerd's store: the provider's confinement
        "NODE_CAPS": " ".join(
            ["--cap-add=ALL", *(f"--cap-drop={c}" for c in confinement.DROPPED_CAPABILITIES)]
        ),
        "NODE_SECCOMP": str(seccomp_file),
    }


def _seccomp_file(client: docker.DockerClient, directory: Path) -> Path:
    path = directory / "node-seccomp.json"
    path.write_text(confinement.host_seccomp_profile(client))
    return path


def build_kubernetes_node_image(
    version: str | None = None, force: bool = False, progress: Progress | None = None
) -> str:
    """Build ``moorage-k8s-node:<version>`` unless it is there; returns its reference."""
    say = progress or (lambda _line: None)
    r = versions.release(version)
    cache = cache_dir()
    try:
        (cache / "k8s" / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DriverError(f"build the Kubernetes node image: cache {cache}: {exc}") from exc
    client = host.local()
    with _exclusive(cache, say), tempfile.TemporaryDirectory() as tmp:
        versions_file = Path(tmp) / "versions.env"
        versions_file.write_text(versions.versions_env(r))
        env = _environment(cache, r, versions_file, _seccomp_file(client, Path(tmp)))
        for stage, runs in stages.plan(r, cache, lambda ref: images.exists(client, ref), force):
            if not runs:
                say(f"{stage.name}: {stage.what}: done already")
                continue
            say(f"{stage.name}: {stage.what}: building (log {log_path(cache, stage, r)})")
            say(f"{stage.name}: done in {run_stage(stage, r, cache, env):.0f} s")
    return r.node_image


def kubectl_path(version: str | None = None) -> Path:
    r = versions.release(version)
    return cache_dir() / "k8s" / r.kube / "bin" / "kubectl"


def install_kubectl(version: str | None = None, bin_dir: Path | None = None) -> Path:
    """Copy the built kubectl next to ``moorage``: the venv's bin directory, on users' PATH."""
    target = (bin_dir or Path(sys.executable).parent) / "kubectl"
    try:
        shutil.copy2(kubectl_path(version), target)
    except OSError as exc:
        raise DriverError(f"install kubectl into {target.parent}: {exc}") from exc
    return target
