"""Resource routers; each module is one vertical slice (schema, checks, views)."""

from __future__ import annotations

from fastapi import APIRouter

REGISTERED: list[APIRouter] = []

from moorage.api.routes import clustertemplates  # noqa: E402

REGISTERED.append(clustertemplates.router)

from moorage.api.routes import (  # noqa: E402
    catalog,
    certificates,
    credentials,
    federations,
    mservices,
    quotas,
    stats,
    whoami,
)

REGISTERED += [
    catalog.router,
    certificates.router,
    credentials.router,
    quotas.router,
    stats.router,
    mservices.router,
    federations.router,
    whoami.router,
]

from moorage.api.routes import clusters  # noqa: E402

REGISTERED.append(clusters.router)

from moorage.api.routes import cluster_actions, events, nodes  # noqa: E402

REGISTERED += [cluster_actions.router, events.router, nodes.router]

from moorage.api.routes import nodegroups  # noqa: E402

REGISTERED.append(nodegroups.router)

from moorage.api.routes import baymodels, bays  # noqa: E402

REGISTERED += [bays.router, baymodels.router]
