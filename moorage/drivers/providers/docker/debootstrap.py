"""The self-contained node root file system: minimal Debian with docker.io (debootstrap).

Independent of the host's binaries (about 40-75 s, from the Debian mirror apt is
configured with; it needs no registry). ``moorage image build --method debootstrap``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from moorage.drivers.providers.docker.rootfs import install_entrypoint, run
from moorage.exceptions import DriverError

PACKAGES = "docker.io,tini,iproute2,ca-certificates,iptables,procps"
# Left by debootstrap or never read by dockerd (about 150 MB).
TRIM = (
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/lib/apt/lists/*",
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
)


def _apt_mirror() -> str:
    """The Debian mirror apt is configured with here (never a hard-coded host)."""
    for path in ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        match = re.search(r"^URIs:\s*(\S+)", text, re.M) or re.search(
            r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M
        )
        if match:
            return match.group(1)
    raise DriverError("build the node image with debootstrap: no Debian mirror configured for apt")


def debootstrap_root(root: Path, suite: str = "bookworm") -> None:
    """Minimal Debian with docker.io, trimmed of what dockerd never reads."""
    run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={PACKAGES}",
            suite,
            str(root),
            _apt_mirror(),
        ],
        "build the node image with debootstrap",
    )
    for pattern in TRIM:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    install_entrypoint(root)
