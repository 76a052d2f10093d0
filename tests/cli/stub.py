"""A scripted HTTP server for the paths the test driver cannot take (a failing cluster)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (status, body) answers per "METHOD path"; the last answer of a list repeats.
Script = dict[str, list[tuple[int, Any]]]


@contextmanager
def stub(script: Script) -> Iterator[str]:
    answers = {key: list(value) for key, value in script.items()}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            queue = answers.get(f"{self.command} {self.path}") or [(404, {"errors": []})]
            status, body = queue.pop(0) if len(queue) > 1 else queue[0]
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(body, str) else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def cluster(status: str, reason: str | None = None, updated: str | None = None) -> dict[str, Any]:
    return {
        "uuid": "u-1",
        "name": "doomed",
        "status": status,
        "status_reason": reason,
        "updated_at": updated,
    }
