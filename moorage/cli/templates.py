"""``moorage template ...``: cluster templates (``openstack coe cluster template``)."""

from __future__ import annotations

import argparse
from typing import Any

from moorage.cli import options
from moorage.cli.runtime import Runtime, delete_each, list_rows

PATH = "/v1/clustertemplates"
LIST_COLUMNS = ["uuid", "name", "tags"]

# (option, body key, help) for free-text attributes, on create and update alike.
TEXT = [
    ("--image", "image_id", "Node image (name in the catalog)."),
    ("--external-network", "external_network_id", "External network nodes publish on."),
    ("--keypair", "keypair_id", "Default key pair of clusters."),
    ("--fixed-network", "fixed_network", "Private network of the nodes."),
    ("--fixed-subnet", "fixed_subnet", "Private subnet of the nodes."),
    ("--network-driver", "network_driver", "Container network driver."),
    ("--volume-driver", "volume_driver", "Volume driver."),
    ("--driver", "driver", "Cluster driver to use (else chosen from image and COE)."),
    ("--dns-nameserver", "dns_nameserver", "DNS server(s), comma separated."),
    ("--flavor", "flavor_id", "Worker node flavor."),
    ("--master-flavor", "master_flavor_id", "Master node flavor."),
    ("--docker-storage-driver", "docker_storage_driver", "Docker storage driver."),
    ("--http-proxy", "http_proxy", "HTTP proxy for the nodes."),
    ("--https-proxy", "https_proxy", "HTTPS proxy for the nodes."),
    ("--no-proxy", "no_proxy", "Hosts that bypass the proxy."),
    ("--insecure-registry", "insecure_registry", "Insecure registry URL."),
    ("--server-type", "server_type", "Server type (vm, bm)."),
]
INTEGER = [
    ("--docker-volume-size", "docker_volume_size", "Docker volume size in GB."),
    ("--apiserver-port", "apiserver_port", "API server port of clusters."),
]
# (true flag, false flag, body key)
SWITCHES = [
    ("--public", "--private", "public"),
    ("--tls-disabled", "--tls-enabled", "tls_disabled"),
    ("--registry-enabled", "--registry-disabled", "registry_enabled"),
    ("--master-lb-enabled", "--master-lb-disabled", "master_lb_enabled"),
    ("--floating-ip-enabled", "--floating-ip-disabled", "floating_ip_enabled"),
    ("--hidden", "--visible", "hidden"),
]


def _add_attributes(parser: argparse.ArgumentParser, required: tuple[str, ...] = ()) -> None:
    for flag, key, text in TEXT:
        parser.add_argument(flag, dest=key, help=text, required=key in required)
    for flag, key, text in INTEGER:
        parser.add_argument(flag, dest=key, type=int, help=text)
    for on, off, key in SWITCHES:
        options.switch(parser, on, off, key)
    parser.add_argument("--tags", "--tag", action="append", help="Tag (repeatable).")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    keys = [k for _, k, _ in TEXT + INTEGER] + [k for _, _, k in SWITCHES]
    body = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    if args.tags:
        body["tags"] = ",".join(dict.fromkeys(t for v in args.tags for t in v.split(",") if t))
    return body


def create(rt: Runtime) -> int:
    a = rt.args
    body = {"name": a.name, "coe": a.coe, **_given(a)}
    if a.labels:
        body["labels"] = options.merged(a.labels)
    template = rt.client.post(PATH, body)
    rt.out.note(f"Request to create cluster template {a.name} accepted")
    rt.out.record(template)
    return 0


def list_(rt: Runtime) -> int:
    return list_rows(rt, PATH, "clustertemplates", LIST_COLUMNS)


def show(rt: Runtime) -> int:
    rt.out.record(rt.client.get(f"{PATH}/{rt.args.template}"))
    return 0


def update(rt: Runtime) -> int:
    a = rt.args
    given = _given(a)
    if a.name is not None:
        given["name"] = a.name
    ops = options.patch_ops(given, a.label, a.no_label)
    rt.out.record(rt.client.patch(f"{PATH}/{a.template}", ops))
    return 0


def delete(rt: Runtime) -> int:
    def one(ident: str) -> int:
        rt.client.delete(f"{PATH}/{ident}")
        rt.out.note(f"Request to delete cluster template {ident} has been accepted.")
        return 0

    return delete_each(rt, "cluster template", rt.args.templates, one)


def register(sub: Any) -> None:
    verbs = options.group(sub, "template", "Cluster templates: what clusters are made from.")

    p = options.command(verbs, "create", create, "Create a cluster template.")
    p.add_argument("name", help="Name of the template.")
    p.add_argument("--coe", required=True, help="Container orchestration engine.")
    options.add_labels(p)
    _add_attributes(p, required=("image_id", "external_network_id"))

    p = options.command(verbs, "list", list_, "List cluster templates.")
    options.add_paging(p, columns=True)

    p = options.command(verbs, "show", show, "Show a cluster template.")
    p.add_argument("template", help="Name or uuid.")

    p = options.command(verbs, "update", update, "Change attributes of a cluster template.")
    p.add_argument("template", help="Name or uuid.")
    p.add_argument("--name", help="New name.")
    _add_attributes(p)
    p.add_argument(
        "--label", action="append", type=options.pairs, metavar="KEY=VALUE", help="Add a label."
    )
    p.add_argument("--no-label", action="append", metavar="KEY", help="Remove a label.")

    p = options.command(verbs, "delete", delete, "Delete cluster templates.")
    p.add_argument("templates", nargs="+", metavar="template", help="Name or uuid.")
