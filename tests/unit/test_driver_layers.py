"""The seams between COE, node layer and provider hold: a COE driver and the node
layer reach nodes through the Provider interface only, never a provider's own code
or the host's Docker engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moorage.drivers

DRIVERS = Path(moorage.drivers.__file__).parent
PROVIDER_ONLY = sorted([*DRIVERS.glob("swarm_docker/*.py"), *DRIVERS.glob("nodes/*.py")])


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", PROVIDER_ONLY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_reaches_nodes_through_the_provider_interface_only(path: Path) -> None:
    reaching = [
        m
        for m in imported(path)
        if m.startswith(("moorage.drivers.providers.", "moorage.drivers.docker."))
        and not m.startswith("moorage.drivers.providers.base")
    ]
    assert reaching == []
    text = path.read_text()
    assert "from_env" not in text and "local()" not in text


def test_the_node_layer_knows_no_coe() -> None:
    for path in DRIVERS.glob("nodes/*.py"):
        assert not [m for m in imported(path) if m.startswith("moorage.drivers.swarm_docker")]
