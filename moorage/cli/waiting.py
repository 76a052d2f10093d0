"""``--wait``: poll a cluster, print each status change, stop at a final status."""

from __future__ import annotations

import time
from typing import Any

from moorage.cli.http import ApiError, CliError
from moorage.cli.runtime import Runtime

# Which statuses end each kind of operation.
ENDS = {
    "create": ("CREATE",),
    "update": ("UPDATE", "ROLLBACK"),
    "delete": ("DELETE",),
}


def _state(cluster: dict[str, Any]) -> tuple[Any, Any, Any]:
    return cluster.get("status"), cluster.get("status_reason"), cluster.get("updated_at")


def describe(name: str, cluster: dict[str, Any]) -> str:
    reason = cluster.get("status_reason")
    return f"cluster {name}: {cluster.get('status')}" + (f" - {reason}" if reason else "")


def wait(rt: Runtime, ident: str, kind: str, before: dict[str, Any] | None = None) -> int:
    """Poll ``ident`` until the operation ``kind`` ends; 0 when it completed, 1 when it failed.

    ``before`` is the cluster as it was before the request: a final status only
    counts once something changed, so a fast second update is not mistaken for
    the first one's UPDATE_COMPLETE.
    """
    a = rt.args
    deadline = time.monotonic() + a.wait_timeout
    prefixes = ENDS[kind]
    seen = before is not None
    moved = before is None
    # The state before the request was already seen; show only what changes.
    shown: tuple[Any, Any] | None = _state(before)[:2] if before else None
    name = ident
    while True:
        try:
            cluster = rt.client.get(f"/v1/clusters/{ident}")
        except ApiError as exc:
            if exc.status != 404:
                raise
            if kind == "delete":
                rt.out.progress(f"cluster {name}: deleted")
                return 0
            if seen:
                raise
            cluster = None  # just accepted: the conductor has not stored it yet
        if cluster is not None:
            seen = True
            name = cluster.get("name") or ident
            state = _state(cluster)
            if state[:2] != shown:
                rt.out.progress(describe(name, cluster))
                shown = state[:2]
            if not moved and before is not None:
                moved = state != _state(before)
            status = str(state[0] or "")
            if moved and status.startswith(prefixes):
                if status.endswith("_COMPLETE"):
                    return 0
                if status.endswith("_FAILED"):
                    reason = cluster.get("status_reason") or "no reason given"
                    rt.out.progress(f"ERROR: cluster {name} ended in {status}: {reason}")
                    return 1
        if time.monotonic() >= deadline:
            raise CliError(
                f"ERROR: cluster {name} did not finish within {a.wait_timeout:g} seconds"
            )
        time.sleep(a.poll_interval)
