"""``moorage``: the command-line client, and ``moorage serve`` for the embedded service."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys

from moorage.cli import (
    certificates,
    clusters,
    image,
    nodegroups,
    quotas,
    sample,
    services,
    stats,
    templates,
)
from moorage.cli.http import DEFAULT_URL, CliError
from moorage.cli.output import FORMATS, Output
from moorage.cli.runtime import Runtime

GROUPS = (templates, clusters, nodegroups, certificates, quotas, stats, services, sample, image)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="moorage",
        description="Client of the Moorage (container-infra v1) API. "
        "`moorage serve` runs the embedded service.",
    )
    env = os.environ.get
    top.add_argument(
        "--version", action="version", version=f"moorage {importlib.metadata.version('moorage')}"
    )
    top.add_argument(
        "--url",
        default=env("MOORAGE_URL", DEFAULT_URL),
        help=f"API endpoint (env MOORAGE_URL, default {DEFAULT_URL}).",
    )
    top.add_argument("--user", default=env("MOORAGE_USER"), help="HTTP basic user (MOORAGE_USER).")
    top.add_argument(
        "--password",
        default=env("MOORAGE_PASSWORD"),
        help="HTTP basic password (MOORAGE_PASSWORD).",
    )
    top.add_argument(
        "--api-version",
        default="latest",
        help="Microversion sent as `OpenStack-API-Version: container-infra <v>` (default latest).",
    )
    top.add_argument("-f", "--format", choices=FORMATS, default="table", help="Output format.")
    sub = top.add_subparsers(dest="group", metavar="COMMAND", required=True)
    serve = sub.add_parser("serve", help="Run the embedded service (API and conductor).")
    serve.set_defaults(func=_serve_first)
    for module in GROUPS:
        module.register(sub)
    return top


def _serve_first(rt: Runtime) -> int:
    raise CliError("ERROR: `serve` must be the first argument: moorage serve [--config-file F]")


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    rt = Runtime(args, Output(args.format))
    try:
        return int(args.func(rt))
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except argparse.ArgumentTypeError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        rt.close()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        from moorage.cmd.serve import run as serve

        serve(args[1:])
        return
    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
