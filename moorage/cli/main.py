"""``moorage``: the command-line client, and ``moorage serve`` for the embedded service."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        from moorage.cmd.serve import run

        run(args[1:])
        return
    raise SystemExit("usage: moorage serve [--config-file FILE]")
