"""``moorage nodegroup ...``: node groups of a cluster (``openstack coe nodegroup``)."""

from __future__ import annotations

from typing import Any

from moorage.cli import options
from moorage.cli.runtime import Runtime, delete_each, list_rows

LIST_COLUMNS = ["uuid", "name", "flavor_id", "image_id", "node_count", "status", "role"]


def _path(cluster: str, nodegroup: str = "") -> str:
    return f"/v1/clusters/{cluster}/nodegroups/{nodegroup}"


def create(rt: Runtime) -> int:
    a = rt.args
    body: dict[str, Any] = {
        "name": a.name,
        "node_count": a.node_count,
        "max_node_count": a.max_nodes,
        "min_node_count": a.min_nodes,
        "role": a.role,
    }
    given = {
        "docker_volume_size": a.docker_volume_size,
        "image_id": a.image,
        "flavor_id": a.flavor,
        "node_labels": options.merged(a.node_labels) if a.node_labels else None,
        "node_taints": a.node_taints,
        "labels": options.merged(a.labels) if a.labels else None,
        "merge_labels": True if a.merge_labels else None,
    }
    body.update({k: v for k, v in given.items() if v is not None})
    answer = rt.client.post(_path(a.cluster), body) or {}
    rt.out.accepted(f"Request to create nodegroup {answer.get('uuid')} accepted", answer)
    return 0


def list_(rt: Runtime) -> int:
    a = rt.args
    return list_rows(rt, _path(a.cluster), "nodegroups", LIST_COLUMNS, {"role": a.role})


def show(rt: Runtime) -> int:
    rt.out.record(rt.client.get(_path(rt.args.cluster, rt.args.nodegroup)))
    return 0


def update(rt: Runtime) -> int:
    a = rt.args
    replace: dict[str, Any] = {"min_node_count": a.min_nodes, "max_node_count": a.max_nodes}
    # The server reads these two as Python literals, as python-magnumclient sends them.
    if a.node_labels is not None:
        replace["node_labels"] = repr(options.pairs(a.node_labels))
    if a.node_taints is not None:
        replace["node_taints"] = repr(options.taints(a.node_taints))
    replace = {k: v for k, v in replace.items() if v is not None}
    ops = options.patch_ops(replace, None, None)
    rt.out.record(rt.client.patch(_path(a.cluster, a.nodegroup), ops) or {})
    return 0


def delete(rt: Runtime) -> int:
    def one(ident: str) -> int:
        rt.client.delete(_path(rt.args.cluster, ident))
        rt.out.note(f"Request to delete nodegroup {ident} has been accepted.")
        return 0

    return delete_each(rt, "nodegroup", rt.args.nodegroups, one)


def register(sub: Any) -> None:
    verbs = options.group(sub, "nodegroup", "Node groups: sets of alike nodes in a cluster.")

    p = options.command(verbs, "create", create, "Add a node group to a cluster.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p.add_argument("name", help="Name of the node group.")
    p.add_argument("--docker-volume-size", type=int, help="Docker volume size in GB.")
    options.add_labels(p)
    p.add_argument("--node-count", type=options.non_negative, default=1, help="Nodes (default 1).")
    p.add_argument("--min-nodes", type=options.non_negative, default=0, help="Minimum nodes.")
    p.add_argument("--max-nodes", type=options.non_negative, help="Maximum nodes.")
    p.add_argument("--role", default="worker", help="Role (default worker).")
    p.add_argument("--image", help="Node image.")
    p.add_argument("--flavor", help="Node flavor.")
    p.add_argument("--merge-labels", action="store_true", help="Merge labels with the cluster's.")
    p.add_argument(
        "--node-labels",
        action="append",
        type=options.pairs,
        metavar="KEY=VALUE,...",
        help="Kubernetes node labels (repeatable).",
    )
    p.add_argument(
        "--node-taints",
        type=options.taints,
        metavar="KEY[=VALUE]:EFFECT,...",
        help="Kubernetes node taints; EFFECT is NoSchedule, PreferNoSchedule or NoExecute.",
    )

    p = options.command(verbs, "list", list_, "List the node groups of a cluster.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    options.add_paging(p)
    p.add_argument("--role", help="Only node groups with this role.")

    p = options.command(verbs, "show", show, "Show a node group.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p.add_argument("nodegroup", help="Node group name or uuid.")

    p = options.command(verbs, "update", update, "Change a node group's limits, labels, taints.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p.add_argument("nodegroup", help="Node group name or uuid.")
    p.add_argument("--min-nodes", type=options.non_negative, help="Minimum nodes.")
    p.add_argument("--max-nodes", type=options.non_negative, help="Maximum nodes.")
    p.add_argument("--node-labels", metavar="KEY=VALUE,...", help="Replace node labels.")
    p.add_argument("--node-taints", metavar="KEY[=VALUE]:EFFECT,...", help="Replace taints.")

    p = options.command(verbs, "delete", delete, "Delete node groups.")
    p.add_argument("cluster", help="Cluster name or uuid.")
    p.add_argument("nodegroups", nargs="+", metavar="nodegroup", help="Name or uuid.")
