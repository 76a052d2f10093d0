"""``moorage image build|workload``: local images for the Docker drivers, no registry.

``build`` makes the node image nodes boot from (``--coe kubernetes``: the Kubernetes
node image, compiled from Go modules once and cached; ``kubectl`` of the same build is
installed next to ``moorage``); ``workload`` makes a small busybox
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
KUBERNETES = "moorage.drivers.providers.docker.kubernetes"


def _builder(what: str, module: str, name: str) -> Callable[..., Any]:
    # Imported here: the driver needs Docker's SDK, which the rest of the client does not.
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise CliError(
            f"ERROR: the Docker {what} builder ({module}.{name}) is not "
            f"available in this installation: {exc}"
        ) from exc


def _built(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # the builder's own errors (Docker down, tools missing)
        raise CliError(f"ERROR: building the {what} failed: {exc}") from exc


def _made(rt: Runtime, what: str, name: str, call: Callable[[Callable[..., str]], str]) -> int:
    """Build an image with the driver's ``name`` function, ``call`` passing the options."""
    builder = _builder(what, MODULE, name)
    rt.out.progress(f"Building the {what} (cached: nothing to do when it exists)...")
    reference = _built(what, lambda: call(builder))
    rt.out.accepted(f"{what.capitalize()} ready: {reference}", {"image": reference})
    return 0


def _kubernetes(rt: Runtime) -> int:
    """The Kubernetes node image, stage by stage, then kubectl onto the user's PATH."""
    what = "Kubernetes node image"
    builder = _builder(what, KUBERNETES, "build_kubernetes_node_image")
    install = _builder(what, KUBERNETES, "install_kubectl")
    rt.out.progress(f"Building the {what} (each finished stage is skipped)...")
    reference = _built(
        what,
        lambda: builder(rt.args.kube_tag, force=rt.args.force, progress=rt.out.progress),
    )
    kubectl = _built(what, lambda: install(rt.args.kube_tag))
    rt.out.accepted(
        f"{what} ready: {reference}\nkubectl of the same build installed as {kubectl}",
        {"image": reference, "kubectl": str(kubectl)},
    )
    return 0


def build(rt: Runtime) -> int:
    if rt.args.coe == "kubernetes":
        return _kubernetes(rt)
    if rt.args.kube_tag:
        raise CliError("ERROR: --kube-tag applies to --coe kubernetes only")
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
        "--coe",
        default="swarm-mode",
        choices=("swarm-mode", "kubernetes"),
        help="Whose node image (default swarm-mode). kubernetes compiles Kubernetes, etcd, "
        "CoreDNS and flanneld from their Go modules once (about 30 minutes cold; cached).",
    )
    p.add_argument(
        "--kube-tag",
        default=None,
        help="Kubernetes release for --coe kubernetes (default: the newest supported).",
    )
    p.add_argument(
        "--method",
        default="hostbin",
        choices=("hostbin", "debootstrap"),
        help="How the swarm-mode root file system is made (default hostbin).",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="Rebuild even when the image exists (for kubernetes: the image stages, not Go).",
    )
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
