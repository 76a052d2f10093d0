"""The nodes of a node group as its driver last reported them, and what names one.

A resize's ``nodes_to_remove`` names nodes the API never sees: only the driver
knows them. The conductor records each node group's nodes from the driver's
result, so that the API can refuse a name no driver would find (400) instead of
accepting it and leaving the cluster UPDATE_FAILED minutes later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moorage import exceptions

# The shortest id prefix that names a node (Docker's own short ids are 12 characters;
# the Swarm driver accepts 6 or more, as ``docker`` does for container ids).
MIN_ID_PREFIX = 6


@dataclass(frozen=True)
class NodeRecord:
    """One node: its name (unique in the cluster), the ids the driver knows it by
    (for the Swarm driver its container's id and its swarm node id), its address."""

    name: str
    ids: tuple[str, ...] = ()
    address: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ids": list(self.ids), "address": self.address}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NodeRecord:
        return cls(str(data["name"]), tuple(data.get("ids") or ()), data.get("address"))

    def named_by(self, ident: str) -> bool:
        """Exactly: by its name, its address or one of its ids."""
        return ident in (self.name, self.address) or ident in self.ids

    def prefixed_by(self, ident: str) -> bool:
        return len(ident) >= MIN_ID_PREFIX and any(i.startswith(ident) for i in self.ids)


def _matches(nodes: Sequence[NodeRecord], ident: str) -> list[NodeRecord]:
    """An exact match wins over an id prefix (a name may look like a prefix)."""
    return [n for n in nodes if n.named_by(ident)] or [n for n in nodes if n.prefixed_by(ident)]


def resolve(nodegroup: str, nodes: Sequence[NodeRecord], idents: Sequence[str]) -> list[str]:
    """The names of the nodes ``idents`` designate, in order and once each.

    Each entry must designate exactly one node of ``nodes``; otherwise the request is
    refused, naming the entries that do not and the nodes that exist.
    """
    names: list[str] = []
    problems: list[str] = []
    for ident in idents:
        found = _matches(nodes, ident)
        if len(found) == 1:
            if found[0].name not in names:
                names.append(found[0].name)
        elif found:
            problems.append(f"{ident} (matches {', '.join(n.name for n in found)})")
        else:
            problems.append(ident)
    if problems:
        raise exceptions.UnknownNodes(nodegroup, problems, sorted(n.name for n in nodes))
    return names
