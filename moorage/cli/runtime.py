"""What every command receives: the parsed arguments, the output, and a lazy client."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from moorage.cli import options
from moorage.cli.http import Client, CliError
from moorage.cli.output import Output


class Runtime:
    """Handed to every command function, which returns the exit status."""

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """Made on first use, so ``config sample`` and ``image build`` need no server."""
        if self._client is None:
            self._client = Client(
                url=self.args.url,
                user=self.args.user,
                password=self.args.password,
                api_version=self.args.api_version,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def list_rows(
    rt: Runtime, path: str, key: str, columns: list[str], params: dict[str, Any] | None = None
) -> int:
    """A ``list`` command: every page of a collection, the columns plus any ``--fields``."""
    a = rt.args
    items = rt.client.collect(path, key, {**options.paging(a), **(params or {})}, a.limit)
    extra = [f for f in options.fields(getattr(a, "fields", None)) if f not in columns]
    rt.out.rows(items, columns + extra)
    return 0


def delete_each(rt: Runtime, what: str, idents: list[str], action: Callable[[str], int]) -> int:
    """Run ``action`` (a delete) for every identifier; report failures and carry on."""
    status = 0
    for ident in idents:
        try:
            status |= action(ident)
        except CliError as exc:
            status = 1
            rt.out.progress(f"Delete of {what} {ident} failed: {exc}")
    return status
