"""Providers: where a cluster's nodes run, found through ``moorage.providers`` entry points.

A template chooses its provider with the label ``provider`` (Magnum's way for a
driver's options), ``docker`` when it has none; an operator adds one by
installing a package that declares an entry point in that group.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from importlib.metadata import entry_points

from moorage import exceptions
from moorage.drivers.providers.base import Provider

GROUP = "moorage.providers"
LABEL = "provider"
DEFAULT = "docker"

_lock = threading.Lock()
_instances: dict[str, Provider] = {}


def names() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=GROUP))


def name_for(labels: Mapping[str, str]) -> str:
    return labels.get(LABEL) or DEFAULT


def check(labels: Mapping[str, str]) -> None:
    """Refuse a template whose ``provider`` label names no installed provider."""
    name = name_for(labels)
    if name not in names():
        raise exceptions.ProviderNotSupported(name, names())


def get(name: str) -> Provider:
    """The provider's one instance in this process (it holds its connections)."""
    with _lock:
        if name not in _instances:
            found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
            if not found:
                raise exceptions.ProviderNotSupported(name, names())
            _instances[name] = found[0].load()()
        return _instances[name]
