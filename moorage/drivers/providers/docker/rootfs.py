"""Root file systems for the node image from this host's own files, no network needed.

``hostbin_root`` (the default node image): busybox plus this host's docker.io
binaries and the libraries they link. About 2-4 s: the fast path for CI, and the
node engine is exactly the host's engine version. ``debootstrap.py`` is the
self-contained alternative. Both get the same entrypoint (``ENTRYPOINT_SCRIPT``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from moorage.exceptions import DriverError

# PID 1 is tini (from the image's ENTRYPOINT); this prepares the container and
# execs dockerd. Needs only sh, awk and mount, so busybox is enough.
ENTRYPOINT_SCRIPT = """#!/bin/sh
# Moorage node entrypoint: make a non-privileged container able to run dockerd.
set -e
# /sys and the cgroup v1 mounts arrive read-only in a non-privileged container.
mount -o remount,rw /sys 2>/dev/null || true
awk '$2 ~ /^\\/sys\\/fs\\/cgroup/ && $4 ~ /(^|,)ro(,|$)/ {print $2}' /proc/mounts | while read -r d; do
  mount -o remount,bind,rw "$d" 2>/dev/null || mount -o remount,rw "$d" || true
done
mount --make-rshared / 2>/dev/null || true
# Isolated DNS: outside names fail in milliseconds and nothing leaves the machine
# (the swarm agent looks up every task image's registry before using the local one).
if [ "${NODE_DNS:-isolated}" = isolated ]; then
  printf 'nameserver 127.0.0.1\\noptions timeout:1 attempts:1\\n' > /etc/resolv.conf
fi
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
exec /usr/sbin/dockerd "$@"
"""

# What dockerd needs at run time; docker and ip are for people debugging a node.
HOST_BINARIES = [
    "dockerd",
    "containerd",
    "containerd-shim-runc-v2",
    "runc",
    "tini-static",
    "docker-proxy",
    "xtables-nft-multi",
    "ip",
    "docker",
]
IPTABLES_NAMES = [
    "iptables",
    "iptables-save",
    "iptables-restore",
    "ip6tables",
    "ip6tables-save",
    "ip6tables-restore",
]
_MERGED = {"/bin": "/usr/bin", "/sbin": "/usr/sbin", "/lib": "/usr/lib", "/lib64": "/usr/lib64"}


def run(cmd: list[str], what: str) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DriverError(f"{what}: {' '.join(cmd[:2])}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise DriverError(f"{what}: `{' '.join(cmd)}` exited {done.returncode}: {' '.join(tail)}")
    return done.stdout


def _in_root(root: Path, path: str) -> Path:
    """Where a host path goes in the (usr-merged) root."""
    for old, new in _MERGED.items():
        if path == old or path.startswith(old + "/"):
            path = new + path[len(old) :]
            break
    return root / path.lstrip("/")


def _copy(root: Path, path: str) -> None:
    target = _in_root(root, path)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(os.path.realpath(path), target)


def _libraries(binary: str) -> list[str]:
    """Shared libraries of a binary as ldd lists them (none for a static one)."""
    done = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False)
    return re.findall(r"(/\S+\.so[^\s]*)", done.stdout)


def _skeleton(root: Path) -> None:
    for new in _MERGED.values():
        (root / new.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for old, new in _MERGED.items():
        (root / old.lstrip("/")).symlink_to(new.lstrip("/"))
    for d in ("etc", "run", "tmp", "var/lib/docker", "usr/local/bin", "root", "proc", "sys", "dev"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "var/run").symlink_to("../run")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc/group").write_text("root:x:0:\ndocker:x:999:\n")
    (root / "etc/nsswitch.conf").write_text("hosts: files dns\n")
    (root / "etc/os-release").write_text('ID=moorage-node\nPRETTY_NAME="Moorage node"\n')


def _busybox(root: Path) -> None:
    busybox = shutil.which("busybox")
    if not busybox:
        raise DriverError(
            "build the node image: busybox not found (apt-get install busybox-static, "
            "or run scripts/setup-docker.sh)"
        )
    target = root / "usr/bin/busybox"
    shutil.copy2(os.path.realpath(busybox), target)
    for applet in run([busybox, "--list"], "list busybox applets").split():
        link = root / "usr/bin" / applet
        if applet != "busybox" and not link.exists():
            link.symlink_to("busybox")


def busybox_root(root: Path) -> None:
    """A bare busybox system (also the workload image for tests: httpd, nc, sh)."""
    _skeleton(root)
    _busybox(root)


def hostbin_root(root: Path) -> None:
    """busybox + the host's docker.io binaries and their libraries."""
    busybox_root(root)
    for name in HOST_BINARIES:
        path = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
        if not path:
            raise DriverError(
                f"build the node image: {name} not found on this host (apt-get install docker.io)"
            )
        _copy(root, path)
        if name != "docker":  # the CLI's copy on PATH may be another build
            for lib in _libraries(path):
                _copy(root, lib)
    _copy(root, "/lib64/ld-linux-x86-64.so.2")
    xtables = "/usr/lib/x86_64-linux-gnu/xtables"  # dlopen'ed by iptables, not in ldd
    if os.path.isdir(xtables):
        shutil.copytree(xtables, _in_root(root, xtables), dirs_exist_ok=True)
    for name in IPTABLES_NAMES:
        (root / "usr/sbin" / name).symlink_to("xtables-nft-multi")
    (root / "usr/bin/docker-init").symlink_to("tini-static")
    install_entrypoint(root)


def install_entrypoint(root: Path) -> None:
    script = root / "usr/local/bin/node-entrypoint"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(ENTRYPOINT_SCRIPT)
    script.chmod(0o755)
