"""The catalogue of bad inputs `bench.chaos` feeds the pipeline, each one classified.

Every case builds its own small world in a scratch folder (a config, an in-memory
API through an httpx mock transport, a lake written by hand, a DuckDB file) and
checks the outcome against what the guarantees promise:

- ``error``: the stage stopped with one clear message (a `PipelineError` or
  `ConfigError`), no traceback, no secret in it, and nothing half-done left behind;
- ``rejected``: the bad record or file was kept out of the data, with its reason
  where people look (the rejects, the summary), and the good input went on;
- ``handled``: the input was dealt with correctly (a credential not sent, a
  repeated page ended, an uncommitted file shown).

Anything else is ``silent``: accepted without a word, a wrong result, a traceback or
a leaked secret. The detail says what was seen.
"""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

SECRET = "s3cret-K3y-x9"


@dataclass(frozen=True)
class Outcome:
    """One catalogue entry's result."""

    name: str
    verdict: str  # error | rejected | handled | silent
    detail: str


class Silent(Exception):
    """The case saw something the guarantees forbid."""


Case = Callable[[Path], tuple[str, str]]
CASES: list[tuple[str, Case]] = []


def case(name: str) -> Callable[[Case], Case]:
    """Register a catalogue entry."""

    def register(fn: Case) -> Case:
        CASES.append((name, fn))
        return fn

    return register


def _one_line_error(fn: Callable[[], Any]) -> str:
    """Run `fn`; it must raise a clear error (returned); anything else is silent."""
    from glueflake.config import ConfigError
    from glueflake.errors import PipelineError

    try:
        fn()
    except (PipelineError, ConfigError) as exc:
        message = str(exc)
        if SECRET in message or "Traceback" in message:
            raise Silent(f"the message leaks or dumps: {message!r}") from None
        if isinstance(exc, PipelineError) and "\n" in message:
            raise Silent(f"more than one line: {message!r}") from None
        return message.replace("\n", " | ")
    raise Silent("accepted without a word")


# --- configuration -------------------------------------------------------------------

BASE_YAML = (
    "lake: {{url: {lake}}}\nwarehouse: {{path: {wh}}}\nsources:\n  shop:\n"
    "    base_url: {base}\n{extra}    endpoints:\n      orders: {{path: {path}, "
    "primary_key: id{ep}}}\n"
)


def _yaml(
    work: Path, *, base: str = "http://api.test", extra: str = "", path: str = "/o", ep: str = ""
) -> Path:
    file = work / "pipeline.yml"
    file.write_text(
        BASE_YAML.format(
            lake=work / "lake", wh=work / "w.duckdb", base=base, extra=extra, path=path, ep=ep
        )
    )
    return file


def _config_error(work: Path, environ: dict[str, str], **kw: Any) -> tuple[str, str]:
    from glueflake.config import load_config

    file = _yaml(work, **kw)
    return "error", _one_line_error(lambda: load_config(file, environ=environ))


@case("config: an inline api key")
def _c1(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, extra=f"    auth: {{type: api_key, key: {SECRET}}}\n")


@case("config: an inline Authorization header")
def _c2(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, extra=f"    headers: {{Authorization: Bearer {SECRET}}}\n")


@case("config: an inline access_token query parameter")
def _c3(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, ep=f", params: {{access_token: {SECRET}}}")


@case("config: user:password in base_url")
def _c4(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, base=f"https://me:{SECRET}@api.test")


@case("config: a key holding \\n")
def _c5(work: Path) -> tuple[str, str]:
    return _config_error(
        work, {"K": SECRET + "\nX"}, extra="    auth: {type: api_key, key: '${K}'}\n"
    )


@case("config: a key holding \\r\\n")
def _c6(work: Path) -> tuple[str, str]:
    return _config_error(
        work, {"K": SECRET + "\r\nX"}, extra="    auth: {type: bearer, token: '${K}'}\n"
    )


@case("config: a secret variable not set")
def _c7(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, extra="    auth: {type: api_key, key: '${NOPE}'}\n")


@case("config: page_size -5")
def _c8(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, ep=", pagination: {type: page_number, page_size: -5}")


@case("config: an unknown field")
def _c9(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, ep=", primary_kee: id")


@case("config: not YAML")
def _c10(work: Path) -> tuple[str, str]:
    from glueflake.config import load_config

    file = work / "pipeline.yml"
    file.write_text("sources: [unclosed\n")
    return "error", _one_line_error(lambda: load_config(file, environ={}))


@case("config: an endpoint path without a leading /")
def _c11(work: Path) -> tuple[str, str]:
    return _config_error(work, {}, path="orders")


# --- extract -----------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
GOOD = "2026-06-01T10:00:00Z"


def _extract_config(work: Path, **endpoint: Any) -> Any:
    from glueflake.config import PipelineConfig

    source = endpoint.pop("source", {})
    return PipelineConfig.model_validate(
        {
            "lake": {"url": str(work / "lake")},
            "sources": {
                "shop": {
                    "base_url": source.pop("base_url", "http://api.test"),
                    "auth": source.pop(
                        "auth", {"type": "api_key", "key": SECRET, "name": "X-API-Key"}
                    ),
                    "retries": {"max_attempts": 2, "backoff_initial": 0.0},
                    **source,
                    "endpoints": {
                        "orders": {
                            "path": "/orders",
                            "records": "data",
                            "primary_key": "id",
                            "incremental": {"cursor_field": "updated_at", "param": "since"},
                            **endpoint,
                        }
                    },
                }
            },
        }
    )


@contextmanager
def _clock(when: datetime) -> Iterator[None]:
    import glueflake.extract.job as job

    real = job._source_clock
    job._source_clock = lambda config, source: when
    try:
        yield
    finally:
        job._source_clock = real


def _extract(work: Path, handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> Any:
    from glueflake.extract import run_extract
    from glueflake.lake import LocalStore

    with _clock(NOW):
        return run_extract(
            _extract_config(work, **kw),
            progress=False,
            store=LocalStore(work / "lake"),
            transport=httpx.MockTransport(handler),
            sleep=lambda seconds: None,
        )


def _cursor_case(work: Path, bad: bytes) -> tuple[str, str]:
    from glueflake.extract import read_bookmark
    from glueflake.lake import LocalStore

    good = orjson.dumps({"id": 1, "updated_at": GOOD})
    body = b'{"data":[' + good + b"," + bad + b"]}"
    summary = _extract(work, lambda r: httpx.Response(200, content=body))
    result = summary.result("shop", "orders")
    bookmark = read_bookmark(LocalStore(work / "lake"), "shop", "orders")
    if bookmark is None or bookmark.value != GOOD:
        raise Silent(f"the bookmark moved to {bookmark.value if bookmark else None!r}")
    if result.rejected != 1 or result.records != 1:
        raise Silent(f"records={result.records} rejected={result.rejected}")
    return "rejected", str(result.reject_reason)


@case("extract: cursor 2999-01-01T00:00:00Z")
def _e1(work: Path) -> tuple[str, str]:
    return _cursor_case(work, b'{"id":2,"updated_at":"2999-01-01T00:00:00Z"}')


@case("extract: cursor 2026-13-45T00:00:00Z")
def _e2(work: Path) -> tuple[str, str]:
    return _cursor_case(work, b'{"id":2,"updated_at":"2026-13-45T00:00:00Z"}')


@case("extract: cursor not-a-date")
def _e3(work: Path) -> tuple[str, str]:
    return _cursor_case(work, b'{"id":2,"updated_at":"not-a-date"}')


@case("extract: the cursor member twice")
def _e4(work: Path) -> tuple[str, str]:
    return _cursor_case(
        work, b'{"id":2,"updated_at":"2026-01-01T00:00:00Z","updated_at":"2999-01-01T00:00:00Z"}'
    )


@case("extract: a cursor that is an object")
def _e5(work: Path) -> tuple[str, str]:
    return _cursor_case(work, b'{"id":2,"updated_at":{"t":1}}')


def _extract_error(
    work: Path, handler: Callable[[httpx.Request], httpx.Response], **kw: Any
) -> tuple[str, str]:
    from glueflake.lake import LocalStore, list_manifests

    message = _one_line_error(lambda: _extract(work, handler, **kw))
    if list(list_manifests(LocalStore(work / "lake"), "shop", "orders")):
        raise Silent("a failed extract committed data")
    return "error", message


@case("extract: a body that is not JSON")
def _e6(work: Path) -> tuple[str, str]:
    return _extract_error(work, lambda r: httpx.Response(200, content=b"<html>oops</html>"))


@case("extract: JSON nested 5,000 deep")
def _e7(work: Path) -> tuple[str, str]:
    body = b'{"data":[{"id":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}]}"
    return _extract_error(work, lambda r: httpx.Response(200, content=body))


@case("extract: no record list at the records path")
def _e8(work: Path) -> tuple[str, str]:
    return _extract_error(work, lambda r: httpx.Response(200, json={"items": []}))


@case("extract: invalid UTF-8 in the body")
def _e9(work: Path) -> tuple[str, str]:
    body = b'{"data":[{"id":1,"updated_at":"' + GOOD.encode() + b'","n":"\xff\xfe"}]}'
    return _extract_error(work, lambda r: httpx.Response(200, content=body))


@case("extract: HTTP 401")
def _e10(work: Path) -> tuple[str, str]:
    return _extract_error(work, lambda r: httpx.Response(401))


@case("extract: HTTP 500 on every attempt")
def _e11(work: Path) -> tuple[str, str]:
    return _extract_error(work, lambda r: httpx.Response(500))


@case("extract: 429 with Retry-After: 100000")
def _e12(work: Path) -> tuple[str, str]:
    return _extract_error(work, lambda r: httpx.Response(429, headers={"Retry-After": "100000"}))


@case("extract: a body trickled past the request deadline")
def _e13(work: Path) -> tuple[str, str]:
    from glueflake.errors import ExtractError
    from glueflake.extract.decode import PageDecoder
    from glueflake.extract.http import PageFetcher, make_client

    config = _extract_config(work, source={"request_deadline": 5.0})
    source = config.sources["shop"]
    t = [0.0]

    class Trickle(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for byte in b'{"data":[' + b" " * 100 + b"]}":
                t[0] += 1.0
                yield bytes([byte])

    client = make_client(
        source, httpx.MockTransport(lambda r: httpx.Response(200, stream=Trickle()))
    )
    fetch = PageFetcher(
        client,
        source,
        where="shop.orders",
        decode=PageDecoder("data"),
        sleep=lambda s: None,
        clock=lambda: t[0],
    )
    message = _one_line_error(lambda: fetch(httpx.URL("http://api.test/orders")))
    if t[0] > 20:
        raise Silent(f"read {t[0]:.0f} s of body past a 5 s deadline")
    if not isinstance(ExtractError(message), ExtractError):  # pragma: no cover
        raise Silent(message)
    return "error", message


def _leak_case(work: Path, target: str, how: str, auth: dict[str, Any]) -> tuple[str, str]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if (
            request.url.host == "api.test"
            and request.url.port in (None, 80)
            and ("page" not in request.url.params)
        ):
            if how == "redirect":
                return httpx.Response(302, headers={"Location": target})
            return httpx.Response(
                200,
                headers={"Link": f'<{target}>; rel="next"'},
                json={"data": [{"id": 1, "updated_at": GOOD}]},
            )
        return httpx.Response(200, json={"data": [{"id": 2, "updated_at": GOOD}]})

    _extract(
        work, handler, pagination={"type": "link_header", "size_param": None}, source={"auth": auth}
    )
    away = [r for r in seen if str(r.url).startswith(target.split("?", maxsplit=1)[0])]
    if not away:
        raise Silent("the other origin was never asked")
    for request in away:
        text = str(request.url) + " ".join(f"{k}: {v}" for k, v in request.headers.items())
        if SECRET in text:
            raise Silent(f"the credential went to {request.url.host}:{request.url.port}")
    return "handled", f"{len(away)} request(s) to {target} carried no credential"


@case("extract: a Link to another port gets no header key")
def _e14(work: Path) -> tuple[str, str]:
    return _leak_case(
        work, "http://api.test:8081/orders?page=2", "link", {"type": "api_key", "key": SECRET}
    )


@case("extract: a 302 to another host gets no query key")
def _e15(work: Path) -> tuple[str, str]:
    return _leak_case(
        work,
        "http://other.test/orders?page=2",
        "redirect",
        {"type": "api_key", "key": SECRET, "name": "k", "location": "query"},
    )


@case("extract: a Link to another host gets no bearer token")
def _e16(work: Path) -> tuple[str, str]:
    return _leak_case(
        work, "http://other.test/orders?page=2", "link", {"type": "bearer", "token": SECRET}
    )


@case("extract: an https source pointed at plain http")
def _e17(work: Path) -> tuple[str, str]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            raise Silent("a request of an https source went over plain http")
        return httpx.Response(302, headers={"Location": "http://api.test/orders"})

    return _extract_error(work, handler, source={"base_url": "https://api.test"})


@case("extract: an API serving fewer records a page than asked")
def _e18(work: Path) -> tuple[str, str]:
    rows = [{"id": i, "updated_at": GOOD} for i in range(25)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"data": rows[(page - 1) * 10 : page * 10]})

    summary = _extract(work, handler, pagination={"type": "page_number", "page_size": 100})
    got = summary.result("shop", "orders").records
    if got != 25:
        raise Silent(f"{got} of 25 records")
    return "handled", "all 25 records read, 10 a page"


@case("extract: an API answering past its end with its last page")
def _e19(work: Path) -> tuple[str, str]:
    rows = [{"id": i, "updated_at": GOOD} for i in range(15)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = min(int(request.url.params.get("page", "1")), 2)
        return httpx.Response(200, json={"data": rows[(page - 1) * 10 : page * 10]})

    summary = _extract(work, handler, pagination={"type": "page_number", "page_size": 10})
    result = summary.result("shop", "orders")
    if result.records != 15:
        raise Silent(f"{result.records} of 15 records")
    return "handled", f"{result.pages} pages, the repeat ended the walk"


@case("extract: a corrupt bookmark")
def _e20(work: Path) -> tuple[str, str]:
    from glueflake.lake import LocalStore, bookmark_key

    LocalStore(work / "lake").put(bookmark_key("shop", "orders"), b"{not json", overwrite=True)
    return _extract_error(work, lambda r: httpx.Response(200, json={"data": []}))


@case("extract: a second extract of the same entity at once")
def _e21(work: Path) -> tuple[str, str]:
    from glueflake.lake import LocalStore
    from glueflake.lake.layout import lease_key
    from glueflake.lake.lease import Lease

    store = LocalStore(work / "lake")
    with Lease(store, lease_key("shop", "orders"), what="extract shop.orders", ttl=60):
        return _extract_error(work, lambda r: httpx.Response(200, json={"data": []}))


@case("extract: the disk full while writing the lake")
def _e22(work: Path) -> tuple[str, str]:
    real = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    setattr(os, "fsync", full)  # noqa: B010 - patched for this case only
    try:
        body = {"data": [{"id": 1, "updated_at": GOOD}]}
        return _extract_error(work, lambda r: httpx.Response(200, json=body))
    finally:
        os.fsync = real


@case("run: a second glueflake run at once")
def _e23(work: Path) -> tuple[str, str]:
    from glueflake.lake import LocalStore
    from glueflake.lake.layout import lease_key
    from glueflake.lake.lease import Lease
    from glueflake.pipeline import run_pipeline

    config = _extract_config(work)
    with Lease(LocalStore(work / "lake"), lease_key(), what="run", ttl=60):
        return "error", _one_line_error(lambda: run_pipeline(config, progress=False))


# --- load --------------------------------------------------------------------------------


def _load_world(work: Path, on_error: str = "continue") -> tuple[Any, Any]:
    from glueflake.config import PipelineConfig
    from glueflake.lake import LocalStore

    config = PipelineConfig.model_validate(
        {
            "lake": {"url": str(work / "lake")},
            "warehouse": {"type": "duckdb", "path": str(work / "w.duckdb")},
            "sources": {
                "shop": {
                    "base_url": "demo",
                    "endpoints": {
                        "orders": {"path": "/o", "primary_key": "id", "on_error": on_error}
                    },
                }
            },
        }
    )
    return config, LocalStore(work / "lake")


def _commit(store: Any, data: bytes, records: int, lie: dict[str, Any] | None = None) -> str:
    from glueflake.lake import Manifest, ManifestFile, data_key, new_run_id, write_manifest
    from glueflake.lake.store import sha256_hex

    run_id = new_run_id()
    key = data_key("shop", "orders", datetime.now(UTC).date(), run_id, 1)
    info = store.put(key, data)
    entry = ManifestFile(
        key=key, records=records, bytes=len(data), sha256=sha256_hex(data), etag=info.etag
    )
    entry = entry.model_copy(update=lie or {})
    write_manifest(
        store,
        Manifest(
            source="shop",
            entity="orders",
            run_id=run_id,
            seq=1,
            files=[entry],
            records=entry.records,
        ),
    )
    return key


def _lines(*lines: bytes) -> bytes:
    return gzip.compress(b"".join(line + b"\n" for line in lines))


def _landing(config: Any) -> int:
    import duckdb

    con = duckdb.connect(config.warehouse.path, read_only=True)
    try:
        row = con.execute("select count(*) from landing.shop__orders").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _reject_case(
    work: Path, bad: bytes, *, data: bytes | None = None, records: int = 3
) -> tuple[str, str]:
    from glueflake.load import run_load

    config, store = _load_world(work)
    good = [orjson.dumps({"id": i, "updated_at": GOOD}) for i in (1, 2)]
    _commit(store, data if data is not None else _lines(good[0], bad, good[1]), records)
    summary = run_load(config)
    landed = _landing(config)
    if summary.rows_rejected < 1:
        raise Silent(f"loaded {summary.rows_loaded}, rejected nothing")
    if landed + summary.rows_rejected < 2 and data is None:
        raise Silent(f"{landed} landed + {summary.rows_rejected} rejected of 3")
    import duckdb

    con = duckdb.connect(config.warehouse.path, read_only=True)
    try:
        row = con.execute(
            "select file_key, line, reason from _glueflake.rejected_records limit 1"
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise Silent("no row in rejected_records")
    return "rejected", f"line {row[1]}: {row[2]}"


@case("load: a record without its primary key")
def _l1(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"status":"paid"}')


@case("load: a record whose key is null")
def _l2(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"id":null}')


@case("load: a record whose key is an object")
def _l3(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"id":{"a":1}}')


@case("load: a record whose key is an array")
def _l4(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"id":[1,2]}')


@case("load: a malformed JSON line")
def _l5(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"id": 3, "x": ')


@case("load: a line that is a number, not an object")
def _l6(work: Path) -> tuple[str, str]:
    return _reject_case(work, b"42")


@case("load: invalid UTF-8 in a line")
def _l7(work: Path) -> tuple[str, str]:
    return _reject_case(work, b'{"id": 3, "n": "\xff"}')


@case("load: a truncated gzip member")
def _l8(work: Path) -> tuple[str, str]:
    lines = [orjson.dumps({"id": i, "pad": "x" * 50}) for i in range(200)]
    data = _lines(*lines)
    return _reject_case(work, b"", data=data[: len(data) // 2], records=200)


def _changed_case(work: Path, **lie: Any) -> tuple[str, str]:
    from glueflake.load import run_load

    config, store = _load_world(work)
    key = _commit(store, _lines(b'{"id":1}', b'{"id":2}', b'{"id":3}'), 3, lie)
    summary = run_load(config)
    result = summary.entities[0]
    if summary.rows_loaded or key not in result.changed_keys:
        raise Silent(f"loaded {summary.rows_loaded} rows of a file its manifest disowns")
    return "rejected", f"reported CHANGED, not loaded: {result.changed_reasons.get(key, 'changed')}"


@case("load: a manifest whose sha256 is zeroed")
def _l9(work: Path) -> tuple[str, str]:
    return _changed_case(work, sha256="0" * 64)


@case("load: a manifest counting 5 records too many")
def _l10(work: Path) -> tuple[str, str]:
    return _changed_case(work, records=8)


@case("load: a committed file rewritten after it was loaded")
def _l11(work: Path) -> tuple[str, str]:
    from glueflake.load import run_load

    config, store = _load_world(work)
    key = _commit(store, _lines(b'{"id":1}'), 1)
    run_load(config)
    path = store.local_path(key)
    path.write_bytes(_lines(b'{"id":9}'))
    os.utime(path, (time.time() + 5, time.time() + 5))
    summary = run_load(config)
    if key not in summary.entities[0].changed_keys or summary.rows_loaded:
        raise Silent("a rewritten file was reloaded or ignored")
    return "rejected", "reported CHANGED, not reloaded"


@case("load: a data file without a manifest (a crashed extract)")
def _l12(work: Path) -> tuple[str, str]:
    from glueflake.lake import data_key, new_run_id
    from glueflake.load import lake_status, run_load

    config, store = _load_world(work)
    key = data_key("shop", "orders", datetime.now(UTC).date(), new_run_id(), 1)
    store.put(key, _lines(b'{"id":1}'))
    summary = run_load(config)
    status = lake_status(config).entity("shop.orders")
    if summary.rows_loaded or key not in status.in_flight_keys:
        raise Silent("an uncommitted file was loaded or not shown")
    return "handled", "not loaded; status shows it as uncommitted (young) at once"


@contextmanager
def _warehouse_held(path: str, seconds: float) -> Iterator[None]:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))",
            path,
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        holder.stdout.readline()
        yield
    finally:
        holder.kill()
        holder.wait()


@case("load: the warehouse locked by another process")
def _l13(work: Path) -> tuple[str, str]:
    from glueflake.load import run_load

    config, store = _load_world(work)
    _commit(store, _lines(b'{"id":1}'), 1)
    with _warehouse_held(config.warehouse.path, 30):
        return "error", _one_line_error(lambda: run_load(config))


@case("load --watch: a poll while the warehouse is locked")
def _l14(work: Path) -> tuple[str, str]:
    import io
    import threading

    from rich.console import Console

    from glueflake.load import run_load, watch_lake

    config, store = _load_world(work)
    _commit(store, _lines(b'{"id":1}'), 1)
    console = Console(record=True, width=300, file=io.StringIO())
    stop = threading.Event()

    def load(cfg: Any, **kw: Any) -> Any:
        summary = run_load(cfg, **kw)
        if summary.rows_loaded:
            stop.set()
        return summary

    with _warehouse_held(config.warehouse.path, 2):
        result = watch_lake(
            config, interval=0.5, console=console, max_polls=40, load=load, stop=stop
        )
    if not result.skipped_polls or result.rows_loaded != 1:
        raise Silent(f"skipped={result.skipped_polls} loaded={result.rows_loaded}")
    return "handled", f"{result.skipped_polls} poll(s) skipped with a line, then loaded"


@case("load: the disk full at the warehouse's commit")
def _l15(work: Path) -> tuple[str, str]:
    import duckdb

    from glueflake.load.duckdb.loader import _transaction

    class FullDisk:
        def execute(self, sql: str, *args: Any) -> None:
            if sql == "commit":
                raise duckdb.IOException("Could not write file: No space left on device")

    def commit() -> None:
        with _transaction(FullDisk()):  # type: ignore[arg-type]
            pass

    return "error", _one_line_error(commit)


def _cli_line(error: BaseException) -> tuple[str, str]:
    """What the CLI prints for `error` raised inside a command: one line, or silent."""
    import io

    import typer
    from rich.console import Console

    from glueflake import cli

    saved = cli.console
    cli.console = Console(file=io.StringIO(), record=True, width=300)
    try:
        try:
            with cli._user_errors():
                raise error
        except typer.Exit:
            pass
        text = cli.console.export_text().strip()
    finally:
        cli.console = saved
    if "\n" in text or "Traceback" in text or not text:
        raise Silent(text or "nothing printed")
    return "error", text


@case("cli: a DuckDB error raised from module _duckdb")
def _l16(work: Path) -> tuple[str, str]:
    error = type("IOException", (Exception,), {"__module__": "_duckdb"})
    return _cli_line(error("Could not set lock on file: Conflicting lock is held"))


@case("cli: the disk full (ENOSPC) anywhere")
def _l17(work: Path) -> tuple[str, str]:
    return _cli_line(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(work / "x")))


def run_catalogue(work: Path) -> list[Outcome]:
    """Run every case in its own folder under `work`; one `Outcome` each."""
    outcomes: list[Outcome] = []
    for i, (name, fn) in enumerate(CASES):
        folder = work / f"{i:02d}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            verdict, detail = fn(folder)
        except Silent as exc:
            verdict, detail = "silent", str(exc)
        except BaseException as exc:  # a traceback is silent too: record it, go on
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            verdict, detail = "silent", f"uncaught {last}"
        outcomes.append(Outcome(name, verdict, detail[:300]))
    return outcomes
