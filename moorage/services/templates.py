"""Cluster templates: finding one, Magnum's rules for its content, and its rows.

The template routes (and the legacy baymodel ones) and everything that needs the
template of a cluster (the cluster services, the certificate and upgrade routes,
the conductor) find it here, so "the template of this cluster" and "a template
in use may not change" are each one function.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from moorage import exceptions
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.db import models
from moorage.db.query import find
from moorage.drivers import providers, registry
from moorage.drivers.base import Driver
from moorage.objects import template_rules

KIND = "ClusterTemplate"
# The row this service hands out; routes name its type through here.
Template = models.ClusterTemplate
# A template as presented: an ORM object, or a list page's plain row.
Readable = Template | Row[Any]


def lookup(session: Session, ctx: RequestContext, ident: str, by_id: bool = False) -> Template:
    """A template ``ctx`` may see by uuid or name (or integer id, where Magnum allows it)."""
    return find(session, Template, KIND, ident, ctx, by_id=by_id)


def get(session: Session, uuid: str | None) -> Template | None:
    """The template with this uuid in any project, or ``None``."""
    return session.scalar(select(Template).where(Template.uuid == uuid))


def load(session: Session, uuid: str | None) -> Template:
    """The template with this uuid in any project; a missing one is an error."""
    row = get(session, uuid)
    if row is None:
        raise exceptions.ResourceNotFound(KIND, uuid)
    return row


def of_cluster(session: Session, cluster: models.Cluster) -> Template | None:
    """The template a cluster was made from, ``None`` if it is gone."""
    return get(session, cluster.cluster_template_id)


def driver_of(session: Session, cluster: models.Cluster) -> Driver:
    """The driver that runs a cluster: its template's, with the template's provider.

    The API checks sizes with it and the conductor runs the cluster with it.
    """
    template = load(session, cluster.cluster_template_id)
    provider = providers.name_for(template.labels or {})
    if template.driver:
        return registry.get_by_name(template.driver, provider)
    coe = template.coe or ""
    return registry.get(template.server_type or "vm", template.cluster_distro, coe, provider)


# Built once (see nodegroups._SUMMARIES).
_LABELS = select(Template.uuid, Template.labels).where(
    Template.uuid.in_(bindparam("templates", expanding=True))
)


def labels_of(session: Session, uuids: set[str | None]) -> dict[str, dict[str, str]]:
    """The labels of the templates ``uuids``, for presenting their clusters."""
    return {
        uuid: labels or {}
        for uuid, labels in session.execute(_LABELS, {"templates": list(uuids)}).all()
    }


def target(row: Template) -> dict[str, Any]:
    """The policy target of a template: its owners."""
    return {"project_id": row.project_id, "user_id": row.user_id}


def check_content(values: dict[str, Any]) -> None:
    """Magnum's content rules of a template; fills in the COE's default network driver."""
    coe = template_rules.check_coe(values.get("coe"))
    if not values.get("network_driver"):
        values["network_driver"] = template_rules.default_network_driver(coe)
    template_rules.check_drivers(coe, values.get("network_driver"), values.get("volume_driver"))
    template_rules.check_volume_size(
        values.get("docker_storage_driver"), values.get("docker_volume_size")
    )
    template_rules.check_dns(values.get("dns_nameserver"))
    providers.check(values.get("labels") or {})


def resolve(values: dict[str, Any]) -> None:
    """Check the image and other resources; set the driver and the image's distro.

    The driver is the explicit one, else the image's, else the configured default,
    else the one registered for the (server type, distro, COE) tuple.
    """
    image = template_rules.check_resources(values)
    name = values.get("driver") or image.driver or CONF.drivers.default_driver
    values["driver"] = registry.resolve(name, values["server_type"], image.os_distro, values["coe"])
    values["cluster_distro"] = image.os_distro
    registry.get_by_name(values["driver"]).validate_template(values)


def create(session: Session, ctx: RequestContext, values: dict[str, Any]) -> Template:
    """The new template's row, owned by the caller; its uuid must be new."""
    if session.scalar(select(Template.id).where(Template.uuid == values["uuid"])):
        raise exceptions.DuplicateUuid(KIND, values["uuid"])
    row = Template(**values, project_id=ctx.project_id, user_id=ctx.user_id)
    session.add(row)
    session.flush()
    return row


def _referenced(session: Session, row: Template) -> bool:
    stmt = select(models.Cluster.id).where(models.Cluster.cluster_template_id == row.uuid).limit(1)
    return session.scalar(stmt) is not None


def _allowed_on_referenced(changes: set[str], after: dict[str, Any]) -> bool:
    """A template in use may only be renamed, published, hidden or re-tagged."""
    if len(changes) != 1:
        return False
    (attr,) = changes
    return (
        attr in ("name", "hidden")
        or (attr == "public" and after["public"] is True)
        or (attr == "tags" and after["tags"] is not None)
    )


def update(
    session: Session, row: Template, ident: str, changes: set[str], after: dict[str, Any]
) -> None:
    """Write the changed fields, unless clusters use the template and the change is not
    one Magnum allows on a template in use (``ident`` names it in the error)."""
    if changes and _referenced(session, row) and not _allowed_on_referenced(changes, after):
        raise exceptions.TemplateReferenced(ident)
    for key in changes:
        setattr(row, key, after[key])
    session.flush()


def delete(session: Session, row: Template, ident: str) -> None:
    """Remove a template no cluster uses."""
    if _referenced(session, row):
        raise exceptions.TemplateReferenced(ident)
    session.delete(row)
