"""``moorage-db-manage``: schema migrations."""

from __future__ import annotations

import argparse
import sys

from moorage import config
from moorage.db import migrate, session


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="moorage-db-manage", description=__doc__)
    parser.add_argument("--config-file", action="append", default=[])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="Migrate the schema to a revision (default: the newest).")
    up.add_argument("revision", nargs="?", default="head")
    sub.add_parser("version", help="Print the schema revision of the database.")
    sub.add_parser("check", help="Exit non-zero unless the schema is the one this code needs.")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    config.load([f"--config-file={f}" for f in args.config_file], prog="moorage-db-manage")
    engine = session.configure()
    if args.command == "upgrade":
        migrate.upgrade(engine, args.revision)
        print(f"Schema at {migrate.current(engine)}")
    elif args.command == "version":
        print(migrate.current(engine))
    else:
        try:
            migrate.check(engine)
        except Exception as exc:
            raise SystemExit(str(exc)) from exc
        print("Schema is current")
