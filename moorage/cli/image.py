"""``moorage image build|workload``: local images for the Docker drivers, no registry.

``build`` makes the node image nodes boot from; ``workload`` makes a small busybox
image (sh, httpd, nc) to load into clusters with ``cluster load-image``, so that a
fresh engine that cannot pull has something to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from moorage.cli import options
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime

MODULE = "moorage.drivers.providers.docker.image"


def _made(rt: Runtime, what: str, name: str, call: Callable[[Callable[..., str]], str]) -> int:
    """Build an image with the driver's ``name`` function, ``call`` passing the options."""
    # Imported here: the driver needs Docker's SDK, which the rest of the client does not.
    try:
        builder = getattr(importlib.import_module(MODULE), name)
    except (ImportError, AttributeError) as exc:
        raise CliError(
            f"ERROR: the Docker {what} builder ({MODULE}.{name}) is not "
            f"available in this installation: {exc}"
        ) from exc
    rt.out.progress(f"Building the {what} (cached: nothing to do when it exists)...")
    try:
        reference = call(builder)
    except Exception as exc:  # the builder's own errors (Docker down, tools missing)
        raise CliError(f"ERROR: building the {what} failed: {exc}") from exc
    rt.out.accepted(f"{what.capitalize()} ready: {reference}", {"image": reference})
    return 0


def build(rt: Runtime) -> int:
    return _made(
        rt,
        "node image",
        "build_node_image",
        lambda builder: builder(method=rt.args.method, force=rt.args.force),
    )


def workload(rt: Runtime) -> int:
    return _made(rt, "workload image", "build_busybox_image", lambda builder: builder(rt.args.tag))


def register(sub: Any) -> None:
    verbs = options.group(sub, "image", "Local images of the Docker provider (no registry).")
    p = options.command(verbs, "build", build, "Build the node image unless it exists.")
    p.add_argument(
        "--method",
        default="hostbin",
        choices=("hostbin", "debootstrap"),
        help="How the root file system is made (default hostbin).",
    )
    p.add_argument("--force", action="store_true", help="Rebuild even when the image exists.")
    p = options.command(
        verbs,
        "workload",
        workload,
        "Build a 2 MB busybox image (sh, httpd, nc) from this host's busybox, unless the "
        "tag exists, to load into clusters with `cluster load-image`.",
    )
    p.add_argument(
        "tag", nargs="?", default="busybox:latest", help="Image name (default busybox:latest)."
    )
