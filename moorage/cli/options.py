"""Argument helpers shared by the command groups: labels, taints, list paging, --wait."""

from __future__ import annotations

import argparse
import re
from typing import Any

from moorage.cli.http import CliError

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def pairs(value: str) -> dict[str, str]:
    """An argparse type: ``a=1,b=2`` (``;`` separates too) as a dict."""
    result: dict[str, str] = {}
    for pair in re.split(r"[,;]", value):
        if not pair.strip():
            continue
        key, sep, val = pair.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(
                f"Arguments must be a list of KEY=VALUE pairs, got {pair!r}"
            )
        result[key.strip()] = val.strip()
    return result


def add_labels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--labels",
        action="append",
        type=pairs,
        metavar="KEY=VALUE,...",
        help="Labels (repeatable; ',' or ';' separate pairs).",
    )


def merged(dicts: list[dict[str, str]] | None) -> dict[str, str]:
    """Repeated ``--labels`` options as one dict, later ones winning."""
    result: dict[str, str] = {}
    for item in dicts or []:
        result.update(item)
    return result


def taints(value: str) -> list[dict[str, str]]:
    """``KEY[=VALUE]:EFFECT,...`` as Kubernetes taint objects."""
    result = []
    for item in filter(None, (v.strip() for v in value.split(","))):
        head, sep, effect = item.rpartition(":")
        key, _, val = head.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"Taint {item!r} is not KEY[=VALUE]:EFFECT")
        if effect not in TAINT_EFFECTS:
            raise argparse.ArgumentTypeError(
                f"Taint effect {effect!r} is not one of {', '.join(TAINT_EFFECTS)}"
            )
        result.append({"key": key, "value": val, "effect": effect})
    return result


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return number


def switch(parser: argparse.ArgumentParser, on: str, off: str, dest: str) -> None:
    """A pair of flags setting ``dest`` to True or False (None when neither is given)."""
    both = parser.add_mutually_exclusive_group()
    both.add_argument(
        on, dest=dest, action="store_const", const=True, default=None, help=f"{dest} = true."
    )
    both.add_argument(off, dest=dest, action="store_const", const=False, help=f"{dest} = false.")


def add_paging(parser: argparse.ArgumentParser, columns: bool = False) -> None:
    if columns:
        parser.add_argument("--fields", metavar="A,B", help="Extra columns to show.")
    parser.add_argument("--limit", type=int, help="Return at most this many items.")
    parser.add_argument("--marker", help="Start after this item (uuid; quota id).")
    parser.add_argument("--sort-key", help="Column to sort by.")
    parser.add_argument("--sort-dir", choices=("asc", "desc"), help="Sort direction.")


def paging(args: argparse.Namespace) -> dict[str, Any]:
    """Query parameters in magnumclient's order: limit, marker, sort_key, sort_dir."""
    return {
        "limit": args.limit,
        "marker": args.marker,
        "sort_key": args.sort_key,
        "sort_dir": args.sort_dir,
    }


def add_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help="Poll the cluster and show its progress until the operation ends.",
    )
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="Give up waiting after this long (default 3600).",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="Seconds between two polls while waiting (default 2).",
    )


def fields(value: str | None) -> list[str]:
    return [f.strip() for f in (value or "").split(",") if f.strip()]


def patch_ops(
    replace: dict[str, Any], label: list[dict[str, str]] | None, no_label: list[str] | None
) -> list[dict[str, Any]]:
    """JSON-patch: ``replace`` each attribute, ``add`` each label, ``remove`` each no-label."""
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": f"/{k}", "value": v} for k, v in replace.items()
    ]
    ops += [{"op": "add", "path": f"/labels/{k}", "value": v} for k, v in merged(label).items()]
    ops += [{"op": "remove", "path": f"/labels/{k}"} for k in no_label or []]
    if not ops:
        raise CliError("ERROR: Nothing to update.")
    return ops


def command(sub: Any, name: str, func: Any, help: str) -> argparse.ArgumentParser:
    """A leaf command; it also accepts ``-f`` after its name, as ``openstack`` does."""
    from moorage.cli.output import FORMATS

    parser: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help)
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default=argparse.SUPPRESS,
        help="Output format (also accepted before the command).",
    )
    parser.set_defaults(func=func)
    return parser


def group(sub: Any, name: str, help: str) -> Any:
    """A command group (``template``, ``cluster``...) and the subparsers of its verbs."""
    parser = sub.add_parser(name, help=help, description=help)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    return verbs
