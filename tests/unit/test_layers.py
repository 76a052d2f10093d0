"""Imports go downward only, in the order docs/architecture.md gives ("The layers and
the import rule"): a module may import its own package and the tiers below its own,
never a tier above nor a sibling in its tier. Lazy imports inside functions count."""

from __future__ import annotations

from pathlib import Path

import pytest

import moorage
from tests.unit.test_driver_layers import imported

ROOT = Path(moorage.__file__).parent
# Top to bottom, as in docs/architecture.md.
TIERS: tuple[frozenset[str], ...] = tuple(
    frozenset(tier.split())
    for tier in (
        "cli",
        "cmd",
        "dashboard",
        "client",
        "api conductor",
        "services",
        "drivers notify",
        "db rpc certs",
        "objects",
        "config context exceptions metrics secretfile",
    )
)
RANK = {layer: rank for rank, tier in enumerate(TIERS) for layer in tier}
MODULES = sorted(p for p in ROOT.rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT)


def layer_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else path.stem


def layer_named(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "moorage" and len(parts) > 1 else None


def test_every_layer_has_a_tier() -> None:
    assert {layer_of(p) for p in MODULES} <= set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_downward(path: Path) -> None:
    """A name outside every tier counts as upward: a new layer is placed in the table."""
    own = layer_of(path)
    upward = sorted(
        module
        for module in imported(path)
        if (other := layer_named(module)) is not None
        and other != own
        and RANK.get(other, -1) <= RANK[own]
    )
    assert upward == []
