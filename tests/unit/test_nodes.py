"""Which node each entry of ``nodes_to_remove`` names (moorage.objects.nodes)."""

from __future__ import annotations

import pytest

from moorage import exceptions
from moorage.objects.nodes import NodeRecord, resolve

A = NodeRecord("c-worker-0", ("abcdef0123", "swarmid-a"), "10.0.0.2")
B = NodeRecord("c-worker-1", ("abcdef9999", "swarmid-b"), "10.0.0.3")
# a name that is also a prefix of another node's id: the exact match wins
C = NodeRecord("abcdef", ("c0ffee0000",), "10.0.0.4")


def test_names_ids_prefixes_and_addresses_resolve_to_names_once_each() -> None:
    idents = ["c-worker-0", "abcdef99", "swarmid-b", "10.0.0.4", "10.0.0.2", "abcdef"]
    assert resolve("w", [A, B, C], idents) == ["c-worker-0", "c-worker-1", "abcdef"]


def test_ambiguous_short_and_unknown_entries_are_refused_together() -> None:
    with pytest.raises(exceptions.UnknownNodes) as caught:
        resolve("w", [A, B], ["abcdef", "abcde", "nope", "c-worker-1"])
    assert str(caught.value) == (
        "Nodes to remove not found in nodegroup w: abcdef (matches c-worker-0, c-worker-1)"
        ", abcde, nope. Its nodes: c-worker-0, c-worker-1 (name a node by its name, its id "
        "or an unambiguous id prefix of 6 or more characters, or its address)."
    )
    assert isinstance(caught.value, exceptions.Invalid)  # a 400


def test_a_group_without_nodes_says_so() -> None:
    with pytest.raises(exceptions.UnknownNodes, match="Its nodes: none"):
        resolve("w", [], ["x"])
