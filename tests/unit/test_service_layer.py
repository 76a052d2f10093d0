"""The service layer sits below the routes and the conductor: both import it, it
imports neither, so a route and a conductor share one way to find and create rows.
The routes moved onto it reach rows only through it."""

from __future__ import annotations

from pathlib import Path

import pytest

import moorage.services
from tests.unit.test_driver_layers import imported

SERVICES = sorted(Path(moorage.services.__file__).parent.glob("*.py"))
API = Path(moorage.services.__file__).parent.parent / "api"
# Route modules (and the views they share) whose lookups, rules and rows are all
# in services/: they open a unit of work with services.transaction and name rows
# by the services' types.
THROUGH_SERVICES = [
    *(API / "routes" / f"{name}.py" for name in ("baymodels", "clustertemplates")),
    *(API / "routes" / f"{name}.py" for name in ("federations", "quotas")),
    API / "views" / "templates.py",
]


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_a_service_imports_neither_the_api_nor_the_conductor(path: Path) -> None:
    upward = [m for m in imported(path) if m.startswith(("moorage.api", "moorage.conductor"))]
    assert upward == []


def test_no_route_module_imports_the_cluster_or_node_group_routes() -> None:
    """Routes share through api/views and services/, not through these route modules."""
    routes = Path(moorage.services.__file__).parent.parent / "api" / "routes"
    shared = tuple(
        f"moorage.api.routes.{name}" for name in ("clusters", "nodegroups", "clustertemplates")
    )
    importing = [
        f"{path.name}: {module}"
        for path in routes.glob("*.py")
        if path.name != "__init__.py"
        for module in imported(path)
        if module.startswith(shared)
    ]
    assert importing == []


@pytest.mark.parametrize("path", THROUGH_SERVICES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_converted_route_reaches_the_database_only_through_services(path: Path) -> None:
    direct = [m for m in imported(path) if m.startswith(("moorage.db", "sqlalchemy"))]
    assert direct == []
