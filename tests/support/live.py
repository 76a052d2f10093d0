"""A real ``moorage serve`` process on a free loopback port, for client tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import fake_driver

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    state: Path
    config_file: Path
    log_file: Path


@contextmanager
def serve(tmp: Path, extra_config: str = "", fake: bool = True) -> Iterator[LiveServer]:
    """Start the embedded service (with the test driver when ``fake``) and stop it after."""
    port = free_port()
    state = tmp / "state"
    state.mkdir(parents=True, exist_ok=True)
    real = "moorage-node:debian,moorage-k8s-node:debian"
    images = f"{real},{fake_driver.CATALOG_ENTRY}" if fake else real
    config = tmp / "moorage.conf"
    config.write_text(
        f"[DEFAULT]\nstate_path = {state}\n{extra_config}\n"
        f"[api]\nport = {port}\n[catalog]\nimages = {images}\n"
    )
    log_file = tmp / "serve.log"
    module = "tests.support.fake_serve" if fake else "moorage.cli.main"
    args = (
        [sys.executable, "-m", module]
        + ([] if fake else ["serve"])
        + ["--config-file", str(config)]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log_file, "w") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log_file)
        yield LiveServer(url=url, state=state, config_file=config, log_file=log_file)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moorage serve exited: {log_file.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"moorage serve did not start: {log_file.read_text()[-2000:]}")
