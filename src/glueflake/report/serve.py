"""Serve the docs folder on loopback only (the standard library's HTTP server)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def docs_server(directory: Path, *, port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server for `directory` bound to 127.0.0.1 (port 0: any free port).

    The caller runs ``serve_forever()`` and closes it; `server_url` says where it is.

    Raises:
        OSError: the port is taken.
    """
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return ThreadingHTTPServer((LOOPBACK, port), handler)


def server_url(server: ThreadingHTTPServer, page: str = "") -> str:
    """``http://127.0.0.1:PORT/page`` of a running server."""
    return f"http://{LOOPBACK}:{server.server_address[1]}/{page}"
