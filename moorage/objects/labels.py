"""Label inheritance between a template (or cluster) and what is derived from it."""

from __future__ import annotations

from collections.abc import Mapping


def merged(
    parent: Mapping[str, str], given: Mapping[str, str] | None, merge: bool
) -> dict[str, str]:
    """Labels of a new cluster or node group.

    With ``merge`` the given labels update the parent's; without it they replace
    them entirely, and an empty or absent set means "the parent's".
    """
    if merge:
        return {**parent, **(given or {})}
    return dict(given) if given else dict(parent)


def differences(parent: Mapping[str, str], own: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``labels_added``, ``labels_overridden`` (parent's values) and ``labels_skipped``."""
    return {
        "labels_added": {k: v for k, v in own.items() if k not in parent},
        "labels_overridden": {
            k: parent[k] for k, v in own.items() if k in parent and parent[k] != v
        },
        "labels_skipped": {k: v for k, v in parent.items() if k not in own},
    }
