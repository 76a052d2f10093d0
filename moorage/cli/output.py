"""How results are printed: aligned text tables, JSON, or bare values."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMATS = ("table", "json", "value")


def cell(value: Any) -> str:
    """One value as table text: ``-`` for null, compact JSON for objects and lists."""
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def table_lines(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, separated by two spaces, a dashed rule under the header."""
    rows = [list(r) for r in rows]
    widths = [len(h) for h in header]
    for row in rows:
        widths = [
            max(w, *(len(line) for line in c.splitlines() or [""]))
            for w, c in zip(widths, row, strict=True)
        ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for row in rows:
        # A multi-line cell (a PEM, say) continues under its own column.
        split = [c.splitlines() or [""] for c in row]
        for i in range(max(len(s) for s in split)):
            out.append(line([s[i] if i < len(s) else "" for s in split]))
    return out


class Output:
    """Prints in the format chosen with ``-f``; messages and progress go through it too."""

    def __init__(self, fmt: str = "table", out: TextIO | None = None, err: TextIO | None = None):
        self.fmt = fmt
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """A human message ("Request ... accepted"); only the table format shows it."""
        if self.fmt == "table":
            self.line(text)

    def progress(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def json(self, data: Any) -> None:
        self.line(json.dumps(data, indent=2, sort_keys=False))

    def rows(self, items: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
        """A list of objects, one row each, with ``columns``."""
        if self.fmt == "json":
            self.json([{c: item.get(c) for c in columns} for item in items])
        elif self.fmt == "value":
            for item in items:
                self.line(" ".join(cell(item.get(c)) for c in columns))
        else:
            body = [[cell(item.get(c)) for c in columns] for item in items]
            for text in table_lines(columns, body):
                self.line(text)

    def record(self, obj: dict[str, Any], fields: Sequence[str] | None = None) -> None:
        """One object as Field/Value pairs (``links`` left out)."""
        keys = [k for k in (fields or obj.keys()) if k != "links"]
        if self.fmt == "json":
            self.json({k: obj.get(k) for k in keys})
        elif self.fmt == "value":
            for k in keys:
                self.line(cell(obj.get(k)))
        else:
            for text in table_lines(["Field", "Value"], [[k, cell(obj.get(k))] for k in keys]):
                self.line(text)

    def accepted(self, message: str, body: dict[str, Any] | None) -> None:
        """The answer to an asynchronous request: a message, or the body in json/value."""
        if self.fmt == "json":
            self.json(body or {})
        elif self.fmt == "value":
            if body and "uuid" in body:
                self.line(str(body["uuid"]))
        else:
            self.line(message)
