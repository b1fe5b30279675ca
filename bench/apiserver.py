"""One demo API process for both compared sides, with a pre-rendering page cache.

Run as ``python -m bench.apiserver --seed S --scale N --days 0,1@9 --cache-dir D``
(the API key comes from ``$BENCH_API_KEY``). Each day spec is a simulated day, or
``DAY@HOUR`` for that day's clock stopped at the end of hour ``HOUR`` (1-24; ``1@9``
serves day 1 until 08:59:59, a bare ``1`` is ``1@24``). For each spec it starts the
real demo API (`glueflake.demo_api.DemoServer`) on a loopback port and, in front of
it, a small caching server on its own port. The first request for a page is passed
to the demo API and its exact response (status, ``Link``, body) is kept on disk;
every later request for the same page is served from there with ``sendfile``. The
harness runs an unmeasured warm-up first, so the measured runs of glueflake, the
bare fetch and dlt all read pre-rendered pages and none of them pays for the demo
API's record generation; the hit and miss counts of each measured phase are
reported, so a miss cannot hide.

It prints one JSON line, ``{"fronts": {"<day spec>": "http://127.0.0.1:PORT"}}`` (keys
as `day_spec` writes them: ``"0"``, ``"1@9"``), then
serves until stdin closes or it gets SIGTERM. ``GET /_bench/stats`` returns the
counters (requests, hits, misses, bytes and records served).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

KEY_ENV = "BENCH_API_KEY"
STATS_PATH = "/_bench/stats"


def parse_day(spec: str) -> tuple[int, int]:
    """``"1@9"`` -> ``(1, 9)``: a simulated day and how many of its hours have passed.

    A bare day (``"1"``) is the end of that day, hour 24.

    Raises:
        ValueError: not ``DAY`` or ``DAY@HOUR`` with ``DAY >= 0`` and ``1 <= HOUR <= 24``.
    """
    day_text, at, hour_text = spec.strip().partition("@")
    problem = f"day spec {spec!r}: want DAY or DAY@HOUR with DAY >= 0 and HOUR 1-24"
    try:
        day, hour = int(day_text), int(hour_text) if at else 24
    except ValueError:
        raise ValueError(problem) from None
    if day < 0 or not 1 <= hour <= 24:
        raise ValueError(problem)
    return day, hour


def day_spec(day: int, hour: int = 24) -> str:
    """The inverse of `parse_day`, in its shortest form: ``"0"``, ``"1@9"``."""
    return str(day) if hour == 24 else f"{day}@{hour}"


def cache_key(path_and_query: str) -> str:
    """A page's identity: path and decoded, sorted query (``page`` defaults to 1).

    Two clients that ask for the same page with their parameters in another order,
    percent-encoded differently, or without an explicit ``page=1`` share one entry.
    """
    parts = urlsplit(path_and_query)
    params = sorted(parse_qsl(parts.query, keep_blank_values=True))
    if parts.path.startswith("/api/") and not any(k == "page" for k, _ in params):
        params = sorted([*params, ("page", "1")])
    return parts.path + "?" + "&".join(f"{k}={v}" for k, v in params)


@dataclass(frozen=True)
class Entry:
    """A cached response."""

    status: int
    content_type: str
    link: str | None
    path: Path
    length: int
    records: int


@dataclass
class Counters:
    """What one front served."""

    requests: int = 0
    hits: int = 0
    misses: int = 0
    bytes: int = 0
    records: int = 0
    unauthorized: int = 0


class Front:
    """The caching server in front of one demo API (one simulated day and hour)."""

    def __init__(self, upstream: str, api_key: str, cache_dir: Path) -> None:
        self.upstream = urlsplit(upstream)
        self.api_key = api_key
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.entries: dict[str, Entry] = {}
        self.counters = Counters()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def lookup(self, key: str, path_and_query: str) -> Entry:
        """The cached response for a page, fetched from the demo API on a miss."""
        entry = self.entries.get(key)
        if entry is not None:
            with self.lock:
                self.counters.hits += 1
            return entry
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=600
        )
        try:
            conn.request(
                "GET",
                path_and_query,
                headers={"X-API-Key": self.api_key, "Accept": "application/json"},
            )
            resp = conn.getresponse()
            body = resp.read()
            status, content_type = resp.status, resp.getheader("Content-Type", "application/json")
            link = resp.getheader("Link")
        finally:
            conn.close()
        if link:
            link = link.replace(self.upstream.netloc, urlsplit(self.base_url).netloc)
        records = 0
        if status == 200 and body[:1] == b"{":
            data = orjson.loads(body).get("data")
            records = len(data) if isinstance(data, list) else 0
        file = self.cache_dir / hashlib.sha256(key.encode()).hexdigest()
        file.write_bytes(body)
        entry = Entry(status, content_type, link, file, len(body), records)
        with self.lock:
            self.counters.misses += 1
            if status == 200:
                self.entries[key] = entry
        return entry

    def stats(self) -> dict[str, Any]:
        """The counters, plus how many pages are cached."""
        with self.lock:
            return {**self.counters.__dict__, "cached_pages": len(self.entries)}

    def count(self, entry: Entry) -> None:
        """Count one served response."""
        with self.lock:
            self.counters.requests += 1
            self.counters.bytes += entry.length
            self.counters.records += entry.records


def _handler_for(front: Front) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per page would cost more than serving it."""

        def do_GET(self) -> None:
            if self.path.startswith(STATS_PATH):
                self._send_bytes(200, json.dumps(front.stats()).encode())
                return
            if self.path.startswith("/api/") and self.headers.get("X-API-Key") != front.api_key:
                with front.lock:
                    front.counters.unauthorized += 1
                self._send_bytes(401, b'{"error": "missing or wrong X-API-Key"}')
                return
            entry = front.lookup(cache_key(self.path), self.path)
            front.count(entry)
            self.send_response_only(entry.status)
            self.send_header("Content-Type", entry.content_type)
            self.send_header("Content-Length", str(entry.length))
            if entry.link:
                self.send_header("Link", entry.link)
            self.end_headers()
            with entry.path.open("rb") as body:
                self.connection.sendfile(body)

        def _send_bytes(self, status: int, body: bytes) -> None:
            self.send_response_only(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def serve(
    seed: int, scale: int, days: list[tuple[int, int]], api_key: str, cache_dir: Path
) -> Iterator[dict[str, Front]]:
    """Start a demo API and a caching front per ``(day, hour)``; stop them on exit.

    Yields the fronts by `day_spec`.
    """
    from glueflake.demo_api import DemoServer, DemoSettings

    fronts: dict[str, Front] = {}
    with contextlib.ExitStack() as stack:
        for day, hour in days:
            spec = day_spec(day, hour)
            settings = DemoSettings(seed=seed, scale=scale, day=day, hour=hour, api_key=api_key)
            demo = stack.enter_context(DemoServer(settings, host="127.0.0.1", port=0))
            front = Front(str(demo.base_url).rstrip("/"), api_key, cache_dir / f"day{spec}")
            thread = threading.Thread(target=front.server.serve_forever, daemon=True)
            thread.start()
            stack.callback(front.server.server_close)
            stack.callback(front.server.shutdown)
            fronts[spec] = front
        yield fronts


def main(argv: list[str] | None = None) -> int:
    """Serve until stdin closes or SIGTERM; print the fronts' URLs as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.apiserver")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=int, required=True)
    parser.add_argument(
        "--days",
        default="0,1",
        help="comma-separated simulated days, each DAY (its end) or DAY@HOUR (the end of "
        "hour HOUR of DAY, 1-24)",
    )
    parser.add_argument("--cache-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    api_key = os.environ.get(KEY_ENV)
    if not api_key:
        print(f"{KEY_ENV} is not set", file=sys.stderr)
        return 2
    try:
        days = [parse_day(d) for d in args.days.split(",") if d.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serve(args.seed, args.scale, days, api_key, args.cache_dir) as fronts:
        line = {"fronts": {spec: f.base_url for spec, f in fronts.items()}}
        print(json.dumps(line), flush=True)
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
