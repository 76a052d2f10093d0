"""The DB layer on SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from moorage import exceptions
from moorage.conductor import lease
from moorage.context import RequestContext
from moorage.db import migrate, models
from moorage.db.models import utcnow
from moorage.db.query import Page, find, page_rows, paginate, scoped, sortable
from moorage.db.session import transaction
from moorage.services import nodegroups

ALICE = RequestContext(user_id="alice", project_id="a", roles=("member",))
BOB = RequestContext(user_id="bob", project_id="b", roles=("member",))


def _template(project: str = "a", **values: object) -> models.ClusterTemplate:
    fields = {
        "uuid": str(uuid.uuid4()),
        "project_id": project,
        "coe": "swarm-mode",
        "image_id": "img",
    }
    fields.update(values)
    return models.ClusterTemplate(**fields)


def test_migrations_match_models(db: Engine) -> None:
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    assert diff == []
    assert migrate.current(db) == migrate.head()
    migrate.check(db)


def test_check_refuses_unknown_schema(db: Engine) -> None:
    with db.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    with pytest.raises(exceptions.MoorageError, match="unknown"):
        migrate.check(db)


def test_json_columns_round_trip(db: Engine) -> None:
    labels = {"a": "1", "ünï": "cödé", "nested.key": "v"}
    with transaction() as s:
        s.add(_template(labels=labels))
    with transaction() as s:
        row = s.scalars(select(models.ClusterTemplate)).one()
        assert row.labels == labels
        assert row.public is False and row.floating_ip_enabled is True


def test_unique_uuid(db: Engine) -> None:
    same = str(uuid.uuid4())
    with transaction() as s:
        s.add(_template(uuid=same))
    with pytest.raises(IntegrityError), transaction() as s:
        s.add(_template(uuid=same))


def test_scope_and_ambiguous_names(db: Engine) -> None:
    with transaction() as s:
        s.add_all(
            [_template("a", name="dup"), _template("a", name="dup"), _template("b", name="mine")]
        )
        s.add(_template("b", name="shared", public=True))
        s.add(_template("b", name="secret", public=True, hidden=True))
    with transaction() as s:
        with pytest.raises(exceptions.Conflict):
            find(s, models.ClusterTemplate, "ClusterTemplate", "dup", ALICE)
        with pytest.raises(exceptions.NotFound):
            find(s, models.ClusterTemplate, "ClusterTemplate", "mine", ALICE)
        assert find(s, models.ClusterTemplate, "ClusterTemplate", "shared", ALICE).project_id == "b"
        with pytest.raises(exceptions.NotFound):
            find(s, models.ClusterTemplate, "ClusterTemplate", "secret", ALICE)
        visible = s.scalars(
            scoped(select(models.ClusterTemplate), models.ClusterTemplate, ALICE)
        ).all()
        assert sorted(r.name or "" for r in visible) == ["dup", "dup", "shared"]


def _walk(page_of: Callable[[Page, Any], list[Any]], direction: str) -> list[Any]:
    """Every row, two a page, each page after the last row of the one before."""
    rows: list[Any] = []
    marker = None
    while True:
        chunk = page_of(Page(2, None, "name", direction), marker)
        rows += chunk
        if len(chunk) < 2:
            return rows
        marker = chunk[-1]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_keyset_paging_with_nulls_is_the_same_everywhere(db: Engine, direction: str) -> None:
    names = ["b", None, "a", "c", None, "a", "b"]
    with transaction() as s:
        s.add_all([_template(name=n) for n in names])
        s.add_all([_template(project="b", name=n) for n in ("a", None)])  # not alice's
    model = models.ClusterTemplate
    with transaction() as s:
        stmt = scoped(select(model), model, ALICE)
        everything = paginate(s, stmt, model, Page(100, None, "name", direction), None)
        pages = _walk(lambda page, marker: paginate(s, stmt, model, page, marker), direction)
        # The page statements built once per shape, with bound values, give the same.
        rows = _walk(lambda page, marker: page_rows(s, model, ALICE, page, marker), direction)
        again = _walk(lambda page, marker: page_rows(s, model, ALICE, page, marker), direction)
    ordered = [r.name for r in everything]
    nulls_first = [None, None, "a", "a", "b", "b", "c"]
    assert ordered == (nulls_first if direction == "asc" else list(reversed(nulls_first)))
    ids = [r.id for r in everything]
    assert [r.id for r in pages] == [r.id for r in rows] == [r.id for r in again] == ids


def test_a_page_of_plain_rows_sees_what_scoped_sees(db: Engine) -> None:
    with transaction() as s:
        s.add_all([_template(name="mine"), _template(project="b", name="theirs")])
        s.add(_template(project="b", name="shared", public=True))
        s.add(_template(project="d", name="hidden", public=True, hidden=True))
    admin = RequestContext(user_id="root", project_id="c", roles=("admin",), is_admin=True)
    no_project = RequestContext(user_id="alice", roles=("member",))
    page = Page(100, None, "id", "asc")
    model = models.ClusterTemplate
    seen = {
        ALICE: ["mine", "shared"],
        BOB: ["theirs", "shared"],
        admin: ["shared", "hidden"],
        admin.scoped_to_all_projects(): ["mine", "theirs", "shared", "hidden"],
        no_project: ["shared"],  # by user_id, and no template is alice's own
    }
    with transaction() as s:
        for ctx, names in seen.items():
            expected = s.scalars(scoped(select(model.name), model, ctx).order_by(model.id)).all()
            assert [r.name for r in page_rows(s, model, ctx, page, None)] == expected == names


def test_lease_is_exclusive_and_expires(db: Engine) -> None:
    cluster_uuid = str(uuid.uuid4())
    with transaction() as s:
        s.add(models.Cluster(uuid=cluster_uuid, project_id="a", status="CREATE_IN_PROGRESS"))
    assert lease.try_take(cluster_uuid, "c1", 30)
    assert not lease.try_take(cluster_uuid, "c2", 30)
    assert lease.try_take(cluster_uuid, "c1", 30)  # renewal by the owner
    with transaction() as s:
        s.execute(
            update(models.Cluster)
            .where(models.Cluster.uuid == cluster_uuid)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert lease.try_take(cluster_uuid, "c2", 30)  # taken over after expiry
    held = lease.Lease(cluster_uuid, "c3", 30)
    with pytest.raises(lease.LeaseHeld):
        held.acquire(wait=0.3)


def test_a_lease_taken_over_fences_its_old_holder(db: Engine) -> None:
    """The fencing UPDATE matches on every backend (MariaDB counts matched rows)."""
    cluster_uuid = str(uuid.uuid4())
    with transaction() as s:
        s.add(models.Cluster(uuid=cluster_uuid, project_id="a", status="CREATE_IN_PROGRESS"))
    held = lease.Lease(cluster_uuid, "c1", 30).acquire()
    reason = update(models.Cluster).where(models.Cluster.uuid == cluster_uuid)
    with lease.fenced(held) as s:
        s.execute(reason.values(status_reason="c1 was here"))
    with transaction() as s:
        s.execute(reason.values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert lease.try_take(cluster_uuid, "c2", 30)
    with pytest.raises(lease.LeaseLost), lease.fenced(held) as s:
        s.execute(reason.values(status_reason="c1 again"))
    held.release()  # lost: c2's lease stays
    with transaction() as s:
        row = s.scalars(select(models.Cluster).where(models.Cluster.uuid == cluster_uuid)).one()
        assert (row.status_reason, row.lease_owner) == ("c1 was here", "c2")


def test_nodegroup_names_are_unique_per_cluster(db: Engine) -> None:
    cluster_uuid = str(uuid.uuid4())
    with transaction() as s:
        s.add(models.Cluster(uuid=cluster_uuid, project_id="a"))
        s.flush()
        s.add(
            models.NodeGroup(uuid=str(uuid.uuid4()), name="default-worker", cluster_id=cluster_uuid)
        )
    with pytest.raises(IntegrityError), transaction() as s:
        s.add(
            models.NodeGroup(uuid=str(uuid.uuid4()), name="default-worker", cluster_id=cluster_uuid)
        )


@pytest.mark.parametrize("model", [models.ClusterTemplate, models.Cluster, models.NodeGroup])
def test_every_sortable_column_sorts_on_every_backend(db: Engine, model: type) -> None:
    """A client's sort_key picks any of these: none may be a column the backend cannot
    order (PostgreSQL has no ordering for JSON, so sort_key=labels was a 500 there)."""
    with transaction() as s:
        s.add(_template())
    with transaction() as s:
        for key in sorted(sortable(model)):
            paginate(s, select(model), model, Page(2, None, key, "asc"), None)
    assert "labels" not in sortable(models.ClusterTemplate)


def test_a_pages_node_groups_come_by_cluster_in_creation_order(db: Engine) -> None:
    clusters = [str(uuid.uuid4()) for _ in range(3)]
    with transaction() as s:
        s.add_all(
            models.Cluster(uuid=c, project_id="a", status="CREATE_COMPLETE") for c in clusters
        )
        for name, cluster in [("m", 0), ("w", 0), ("m", 1), ("extra", 0), ("other", 2)]:
            s.add(models.NodeGroup(uuid=str(uuid.uuid4()), name=name, cluster_id=clusters[cluster]))
            s.flush()  # ids in this order
    with transaction() as s:
        groups = nodegroups.summaries_of(s, clusters[:2])
        assert {c: [g.name for g in rows] for c, rows in groups.items()} == {
            clusters[0]: ["m", "w", "extra"],
            clusters[1]: ["m"],
        }
        unknown = str(uuid.uuid4())
        assert nodegroups.summaries_of(s, [unknown]) == {unknown: []}
