"""A small paginated JSON API of a shape glueflake has never seen, on 127.0.0.1.

``GET /v2/widgets`` answers ``{"data": [...], "next": "<url of the next page>"}``
(null on the last page), four widgets a page, and wants ``Authorization: Bearer
<TOKEN>``. Widgets carry an integer key, text, a decimal price, a boolean, ISO
timestamps, a nested object and an array.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 4


def widgets(count: int = 10) -> list[dict[str, Any]]:
    """The API's records, in page order."""
    return [
        {
            "widgetId": 1000 + i,
            "sku": f"W-{i:04d}",
            "price": Decimal(f"{3 + i * 7}.{(i * 13) % 100:02d}"),
            "inStock": i % 3 != 0,
            "createdAt": f"2026-03-{1 + i:02d}T08:30:00Z",
            "updatedAt": f"2026-04-{1 + i:02d}T12:{i:02d}:05.250+02:00",
            "dimensions": {"w": i, "h": i * 2},
            "tags": ["blue", "small"][: i % 3],
        }
        for i in range(count)
    ]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/v2/widgets":
            return self._send(404, {"error": "not found"})
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._send(401, {"error": "unauthorized"})
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        rows = self.server.records[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        more = page * PAGE_SIZE < len(self.server.records)
        host, port = self.server.server_address[:2]
        following = f"http://{host}:{port}/v2/widgets?page={page + 1}" if more else None
        self.server.requests += 1
        return self._send(200, {"data": rows, "next": following, "total": len(self.server.records)})

    def _send(self, status: int, body: Any) -> None:
        data = _dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _dumps(body: Any) -> bytes:
    """JSON with each Decimal written as the number it is."""
    if isinstance(body, Decimal):
        return str(body).encode()
    if isinstance(body, dict):
        items = (json.dumps(k).encode() + b":" + _dumps(v) for k, v in body.items())
        return b"{" + b",".join(items) + b"}"
    if isinstance(body, list):
        return b"[" + b",".join(_dumps(v) for v in body) + b"]"
    return json.dumps(body).encode()


class _Server(ThreadingHTTPServer):
    token: str
    records: list[dict[str, Any]]
    requests: int = 0


@contextmanager
def serve_widgets(token: str, count: int = 10) -> Iterator[_Server]:
    """Serve the API on a free loopback port; yields the server (``.server_address``)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.token, server.records = token, widgets(count)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
