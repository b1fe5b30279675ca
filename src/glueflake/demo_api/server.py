"""The HTTP side: routes, auth, validation, pagination headers and fault injection.

Standard library only (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive):
the demo API must start in milliseconds inside tests and stay out of the
dependency tree. Handlers only parse and serialise; records come from the pure
``countries``, ``customers`` and ``orders`` modules.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from glueflake.demo_api.clock import parse_instant
from glueflake.demo_api.countries import countries_etag, countries_json
from glueflake.demo_api.customers import customers_page
from glueflake.demo_api.orders import count_orders, orders_page
from glueflake.demo_api.settings import FAULT_KINDS, DemoSettings

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
_CURSOR_PREFIX = "c1:"


class BadParameter(ValueError):
    """A query parameter is invalid; the message names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


def encode_cursor(last_id: int) -> str:
    """Encode the last id of a page as an opaque cursor.

    Args:
        last_id: Id of the last record served.

    Returns:
        A URL-safe opaque string.
    """
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Decode a cursor made by ``encode_cursor``.

    Args:
        cursor: The opaque string.

    Returns:
        The last id of the previous page.

    Raises:
        BadParameter: If the cursor was not made by this server.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        value = int(text[len(_CURSOR_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadParameter("cursor", "not a cursor returned by this API") from exc
    if value < 0:
        raise BadParameter("cursor", "not a cursor returned by this API")
    return value


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        value = int(values[-1])
    except ValueError as exc:
        raise BadParameter(name, f"must be an integer, got {values[-1]!r}") from exc
    if not low <= value <= high:
        raise BadParameter(name, f"must be between {low} and {high}, got {value}")
    return value


def _since_param(query: dict[str, list[str]]) -> int | None:
    values = query.get("updated_since")
    if not values:
        return None
    try:
        return parse_instant(values[-1])
    except ValueError as exc:
        raise BadParameter("updated_since", f"must be ISO-8601, got {values[-1]!r}") from exc


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet by default; method, path and status at DEBUG, never headers."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %s %s", self.command, urlsplit(self.path).path, code)

    def do_GET(self) -> None:
        """Route one GET request."""
        self.server.count_request()
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            if url.path == "/v3.1/all":
                self._countries()
            elif url.path in ("/api/customers", "/api/orders"):
                if not self._authorised() or self._injected_fault():
                    return
                if url.path == "/api/customers":
                    self._customers(query)
                else:
                    self._orders(url.path, query)
            else:
                self._error(404, "not_found", f"no route for {url.path}")
        except BadParameter as exc:
            self._error(400, "bad_request", str(exc), parameter=exc.name)

    def _authorised(self) -> bool:
        given = self.headers.get("X-API-Key", "")
        if hmac.compare_digest(given.encode(), self.server.settings.api_key.encode()):
            return True
        self._error(401, "unauthorized", "missing or invalid X-API-Key header")
        return False

    _body_fault: str | None = None

    def _injected_fault(self) -> bool:
        self._body_fault = None
        fault = self.server.next_fault()
        if fault is None:
            return False
        if fault in ("reset", "truncated", "slow"):
            self._body_fault = fault  # applied by `_send` to the real response
            return False
        if fault == "500":
            self._error(500, "injected_fault", "internal error")
            return True
        status = int(fault)
        message = "rate limited" if status == 429 else "temporarily unavailable"
        retry_after = "1" if fault == "429" and self.server.settings.fault_rate else "0"
        self._error(status, "injected_fault", message, headers={"Retry-After": retry_after})
        return True

    def _faulty_body(self, body: bytes) -> None:
        """Send `body` as the injected body fault says (the headers are out already)."""
        fault, self._body_fault = self._body_fault, None
        half = body[: len(body) // 2]
        if fault == "slow":
            step = max(1, len(body) // 5)
            for start in range(0, len(body), step):
                self.wfile.write(body[start : start + step])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(half)
        self.wfile.flush()
        self.close_connection = True
        if fault == "reset":  # RST, not FIN: the client reads "connection reset"
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:  # truncated: the peer closes with bytes still owed
            self.connection.shutdown(socket.SHUT_WR)

    def _countries(self) -> None:
        day = self.server.settings.today
        etag = countries_etag(day)
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", headers={"ETag": etag})
            return
        self._send(200, countries_json(day), headers={"ETag": etag})

    def _customers(self, query: dict[str, list[str]]) -> None:
        limit = _int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        since = _since_param(query)
        cursors = query.get("cursor")
        after = decode_cursor(cursors[-1]) if cursors and cursors[-1] else 0
        records, last = customers_page(self.server.settings, after, limit, since)
        next_cursor = encode_cursor(last) if last is not None else None
        self._send(200, orjson.dumps({"data": records, "next_cursor": next_cursor}))

    def _orders(self, path: str, query: dict[str, list[str]]) -> None:
        page = _int_param(query, "page", 1, 1, 10**12)
        per_page = _int_param(query, "per_page", DEFAULT_LIMIT, 1, MAX_LIMIT)
        since = _since_param(query)
        records, more = orders_page(self.server.settings, page, per_page, since)
        headers = {}
        if more:
            # rel="last" too (as GitHub's API does), so clients can show a total and an ETA.
            last = -(-count_orders(self.server.settings, since) // per_page)
            host = self.headers.get("Host") or self.server.authority
            links = []
            for number, rel in ((page + 1, "next"), (last, "last")):
                params = {k: v[-1] for k, v in query.items()}
                params["page"] = str(number)
                params["per_page"] = str(per_page)
                links.append(f'<http://{host}{path}?{urlencode(params)}>; rel="{rel}"')
            headers["Link"] = ", ".join(links)
        self._send(200, orjson.dumps({"data": records}), headers=headers)

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        body: dict[str, Any] = {"error": {"status": status, "code": code, "message": message}}
        if parameter is not None:
            body["error"]["parameter"] = parameter
        self._send(status, orjson.dumps(body), headers=headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and self._body_fault is not None and status == 200:
            self._faulty_body(body)
        elif body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, settings: DemoSettings, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.settings = settings
        self._lock = threading.Lock()
        self.requests_served = 0
        self._api_requests = 0
        self._faults = 0
        self._random = random.Random()  # fault injection: unseeded, not part of the world
        host, port = self.server_address[:2]
        self.authority = f"{host!s}:{port}"

    def count_request(self) -> None:
        with self._lock:
            self.requests_served += 1

    def next_fault(self) -> str | None:
        """Count an authorised /api request; the fault it must meet, if any.

        ``"429"``/``"503"`` every `fail_every` requests; with `fault_rate`, a random
        share of requests meets one of `FAULT_KINDS`.
        """
        every = self.settings.fail_every
        with self._lock:
            self._api_requests += 1
            if every > 0 and not self._api_requests % every:
                self._faults += 1
                return "429" if self._faults % 2 else "503"
            rate = self.settings.fault_rate
            if rate and self._random.random() < rate:
                self._faults += 1
                return self._random.choice(FAULT_KINDS)
            return None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone, or a connection this server reset on purpose: no traceback."""
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class DemoServer:
    """The demo API on a background thread; use as a context manager.

    Example:
        >>> with DemoServer(DemoSettings(scale=1_000, day=10)) as srv:
        ...     url = srv.base_url + "/v3.1/all"
    """

    def __init__(
        self, settings: DemoSettings | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Bind the socket (port 0 picks a free port); serving starts on ``start``.

        Args:
            settings: What to serve; defaults to ``DemoSettings()``.
            host: Interface to bind.
            port: TCP port, 0 for any free port.
        """
        self.settings = settings or DemoSettings()
        self._server = _Server(self.settings, (host, port))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321``."""
        return f"http://{self._server.authority}"

    @property
    def requests_served(self) -> int:
        """Number of HTTP requests received so far."""
        return self._server.requests_served

    def start(self) -> DemoServer:
        """Start serving on a daemon thread.

        Returns:
            ``self``.
        """
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="glueflake-demo-api", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(settings: DemoSettings | None = None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the demo API in the foreground until Ctrl-C.

    Args:
        settings: What to serve; defaults to ``DemoSettings()``.
        host: Interface to bind.
        port: TCP port.
    """
    server = _Server(settings or DemoSettings(), (host, port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
