"""``GET /metrics`` and the middleware that counts and times every request.

The middleware runs inside ``ApiMiddleware`` (so it sees the normalised
``/v1/...`` path) and labels each request with its route template, e.g.
``/v1/clusters/{cluster_ident}``, never the raw path, so that uuids do not
multiply the series. /metrics is unversioned (no microversion headers or
checks) and unauthenticated, like /healthcheck: expose the API port to
Prometheus only where that is acceptable.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.types import Message, Scope

from moorage import metrics
from moorage.api.observe import ObservingMiddleware
from moorage.db import models
from moorage.db.session import transaction

router = APIRouter()


def _clusters_by_status() -> Iterable[tuple[str, int]]:
    with transaction() as session:
        stmt = select(models.Cluster.status, func.count()).group_by(models.Cluster.status)
        return [(str(status), int(count)) for status, count in session.execute(stmt)]


CLUSTERS = metrics.ScrapeCollector(
    "moorage_clusters",
    "Clusters by status, read from the database when scraped (absent while it is unreachable).",
    "status",
    _clusters_by_status,
)


@router.get("/metrics", include_in_schema=False)
def scrape() -> Response:
    return Response(metrics.exposition(CLUSTERS), media_type=metrics.CONTENT_TYPE)


def route_template(scope: Scope) -> str:
    """The path template of the route that served ``scope`` (set by the router), with /v1."""
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return metrics.unmatched_route()
    if scope["path"].startswith("/v1/") and not template.startswith("/v1"):
        template = "/v1" + template  # the resource routers are included below /v1
    return template


class MetricsMiddleware(ObservingMiddleware):
    def observed(self, scope: Scope, start: Message, seconds: float) -> None:
        metrics.observe_request(
            scope["method"], route_template(scope), int(start["status"]), seconds
        )
