"""``moorage image build``: build the local node image the Docker drivers boot nodes from."""

from __future__ import annotations

import importlib
from typing import Any

from moorage.cli import options
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime

MODULE = "moorage.drivers.docker.image"


def build(rt: Runtime) -> int:
    # Imported here: the driver needs Docker's SDK, which the rest of the client does not.
    try:
        module = importlib.import_module(MODULE)
        build_node_image = module.build_node_image
    except (ImportError, AttributeError) as exc:
        raise CliError(
            f"ERROR: the Docker node image builder ({MODULE}.build_node_image) is not "
            f"available in this installation: {exc}"
        ) from exc
    rt.out.progress("Building the node image (cached: nothing to do when it exists)...")
    try:
        reference = build_node_image(method=rt.args.method, force=rt.args.force)
    except Exception as exc:  # the builder's own errors (Docker down, tools missing)
        raise CliError(f"ERROR: building the node image failed: {exc}") from exc
    rt.out.accepted(f"Node image ready: {reference}", {"image": reference})
    return 0


def register(sub: Any) -> None:
    verbs = options.group(sub, "image", "The node image of the local Docker provider.")
    p = options.command(verbs, "build", build, "Build the node image unless it exists.")
    p.add_argument(
        "--method",
        default="hostbin",
        choices=("hostbin", "debootstrap"),
        help="How the root file system is made (default hostbin).",
    )
    p.add_argument("--force", action="store_true", help="Rebuild even when the image exists.")
