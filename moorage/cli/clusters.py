"""``moorage cluster ...``: clusters and their actions (``openstack coe cluster``)."""

from __future__ import annotations

from typing import Any

from moorage.cli import clusterconfig, options, waiting
from moorage.cli.http import CliError
from moorage.cli.runtime import Runtime, delete_each, list_rows

PATH = "/v1/clusters"
LIST_COLUMNS = ["uuid", "name", "keypair", "node_count", "master_count", "status", "health_status"]
# (option, body key) of optional create attributes sent only when given.
OPTIONAL = [
    ("docker_volume_size", "docker_volume_size"),
    ("master_flavor", "master_flavor_id"),
    ("flavor", "flavor_id"),
    ("fixed_network", "fixed_network"),
    ("fixed_subnet", "fixed_subnet"),
    ("floating_ip_enabled", "floating_ip_enabled"),
    ("master_lb_enabled", "master_lb_enabled"),
    ("discovery_url", "discovery_url"),
    ("keypair", "keypair"),
]


def _finish(rt: Runtime, ident: str, kind: str, before: dict[str, Any] | None) -> int:
    return waiting.wait(rt, ident, kind, before) if rt.args.wait else 0


def create(rt: Runtime) -> int:
    a = rt.args
    if a.master_lb_enabled is False and a.master_count > 1:
        raise CliError("ERROR: --master-lb-disabled needs --master-count 1")
    body: dict[str, Any] = {
        "name": a.name,
        "cluster_template_id": a.cluster_template,
        "create_timeout": a.timeout,
        "master_count": a.master_count,
        "node_count": a.node_count,
    }
    body.update({key: getattr(a, opt) for opt, key in OPTIONAL if getattr(a, opt) is not None})
    if a.labels:
        body["labels"] = options.merged(a.labels)
    if a.merge_labels:
        body["merge_labels"] = True
    answer = rt.client.post(PATH, body) or {}
    uuid = answer.get("uuid", a.name)
    rt.out.accepted(f"Request to create cluster {uuid} accepted", answer)
    return _finish(rt, uuid, "create", None)


def list_(rt: Runtime) -> int:
    return list_rows(rt, PATH, "clusters", LIST_COLUMNS)


def show(rt: Runtime) -> int:
    rt.out.record(rt.client.get(f"{PATH}/{rt.args.cluster}"))
    return 0


def _before(rt: Runtime, ident: str) -> dict[str, Any] | None:
    """The cluster as it is now, which ``--wait`` compares against."""
    return rt.client.get(f"{PATH}/{ident}") if rt.args.wait else None


def delete(rt: Runtime) -> int:
    def one(ident: str) -> int:
        before = _before(rt, ident)
        rt.client.delete(f"{PATH}/{ident}")
        rt.out.note(f"Request to delete cluster {ident} has been accepted.")
        return _finish(rt, ident, "delete", before)

    return delete_each(rt, "cluster", rt.args.clusters, one)


def update(rt: Runtime) -> int:
    a = rt.args
    keys = ("node_count", "master_count", "name")
    replace = {k: getattr(a, k) for k in keys if getattr(a, k) is not None}
    ops = options.patch_ops(replace, a.label, a.no_label)
    before = _before(rt, a.cluster)
    params = {"rollback": "True"} if a.rollback else None
    answer = rt.client.patch(f"{PATH}/{a.cluster}", ops, params=params) or {}
    uuid = answer.get("uuid", a.cluster)
    rt.out.accepted(f"Request to update cluster {uuid} has been accepted.", answer)
    return _finish(rt, uuid, "update", before)


def _action(rt: Runtime, action: str, body: dict[str, Any]) -> int:
    """POST ``/actions/<action>`` for the cluster (looked up first, as magnumclient does)."""
    cluster = rt.client.get(f"{PATH}/{rt.args.cluster}")
    if rt.args.nodegroup:
        body["nodegroup"] = rt.args.nodegroup
    answer = rt.client.post(f"{PATH}/{cluster['uuid']}/actions/{action}", body) or {}
    rt.out.accepted(f"Request to {action} cluster {cluster['uuid']} has been accepted.", answer)
    return _finish(rt, cluster["uuid"], "update", cluster)


def resize(rt: Runtime) -> int:
    body: dict[str, Any] = {"node_count": rt.args.node_count}
    if rt.args.nodes_to_remove:
        body["nodes_to_remove"] = rt.args.nodes_to_remove
    return _action(rt, "resize", body)


def upgrade(rt: Runtime) -> int:
    a = rt.args
    return _action(
        rt, "upgrade", {"cluster_template": a.cluster_template, "max_batch_size": a.max_batch_size}
    )


def load_image(rt: Runtime) -> int:
    """Copy a local image into every node of the cluster (no registry is reachable)."""
    cluster = rt.client.get(f"{PATH}/{rt.args.cluster}")
    answer = rt.client.post(
        f"{PATH}/{cluster['uuid']}/actions/load_image", {"image": rt.args.image}
    )
    rt.out.accepted(f"Image {rt.args.image} loaded into {', '.join(answer['nodes'])}.", answer)
    return 0


def register(sub: Any) -> None:
    verbs = options.group(sub, "cluster", "Clusters: create, change, inspect and reach them.")

    p = options.command(verbs, "create", create, "Create a cluster from a template.")
    p.add_argument("name", help="Name of the cluster.")
    p.add_argument("--cluster-template", required=True, help="Template name or uuid.")
    p.add_argument("--discovery-url", help="etcd discovery URL (legacy).")
    p.add_argument("--docker-volume-size", type=int, help="Docker volume size in GB.")
    options.add_labels(p)
    p.add_argument("--merge-labels", action="store_true", help="Merge labels with the template's.")
    p.add_argument("--keypair", help="Key pair for the nodes.")
    p.add_argument("--master-count", type=int, default=1, help="Masters (default 1).")
    p.add_argument(
        "--node-count", type=options.non_negative, default=1, help="Workers (default 1)."
    )
    p.add_argument("--timeout", type=int, default=60, help="Create timeout in minutes.")
    p.add_argument("--master-flavor", help="Master flavor.")
    p.add_argument("--flavor", help="Worker flavor.")
    p.add_argument("--fixed-network", help="Private network.")
    p.add_argument("--fixed-subnet", help="Private subnet.")
    options.switch(p, "--floating-ip-enabled", "--floating-ip-disabled", "floating_ip_enabled")
    options.switch(p, "--master-lb-enabled", "--master-lb-disabled", "master_lb_enabled")
    options.add_wait(p)

    p = options.command(verbs, "list", list_, "List clusters.")
    options.add_paging(p, columns=True)

    p = options.command(verbs, "show", show, "Show a cluster.")
    p.add_argument("cluster", help="Name or uuid.")

    p = options.command(verbs, "delete", delete, "Delete clusters.")
    p.add_argument("clusters", nargs="+", metavar="cluster", help="Name or uuid.")
    options.add_wait(p)

    p = options.command(verbs, "update", update, "Change a cluster (the server allows node count).")
    p.add_argument("cluster", help="Name or uuid.")
    p.add_argument("--node-count", type=options.non_negative, help="Workers of the default group.")
    p.add_argument("--master-count", type=int, help="Masters.")
    p.add_argument("--name", help="New name.")
    p.add_argument(
        "--label", action="append", type=options.pairs, metavar="KEY=VALUE", help="Add a label."
    )
    p.add_argument("--no-label", action="append", metavar="KEY", help="Remove a label.")
    p.add_argument("--rollback", action="store_true", help="Roll back on failure.")
    options.add_wait(p)

    p = options.command(verbs, "resize", resize, "Change the node count of a node group.")
    p.add_argument("cluster", help="Name or uuid.")
    p.add_argument("node_count", type=options.non_negative, help="New node count.")
    p.add_argument(
        "--nodes-to-remove", action="append", metavar="SERVER", help="Node to remove (repeatable)."
    )
    p.add_argument("--nodegroup", help="Node group (default: the default worker group).")
    options.add_wait(p)

    p = options.command(verbs, "upgrade", upgrade, "Move a cluster to another template.")
    p.add_argument("cluster", help="Name or uuid.")
    p.add_argument("cluster_template", help="Target template name or uuid.")
    p.add_argument("--max-batch-size", type=int, default=1, help="Nodes upgraded at once.")
    p.add_argument("--nodegroup", help="Node group (default: the default worker group).")
    options.add_wait(p)

    p = options.command(
        verbs, "load-image", load_image, "Copy a local Docker image into every node."
    )
    p.add_argument("cluster", help="Name or uuid.")
    p.add_argument("image", help="Image on the Docker engine of the Moorage conductor.")

    clusterconfig.register(verbs)
