"""Hostile input at extract (issue 15): bad cursors, leaking credentials, secrets in
messages, slow servers, deep JSON, a full disk. Each test failed before its fix."""

from __future__ import annotations

import errno
import gzip
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import orjson
import pytest
from pydantic import SecretStr

from glueflake.config import (
    ApiKeyAuth,
    ConfigError,
    Endpoint,
    PipelineConfig,
    Retries,
    Source,
    load_config,
)
from glueflake.errors import ExtractError, LakeError
from glueflake.extract import read_bookmark, run_extract
from glueflake.extract.decode import PageDecoder
from glueflake.extract.http import PageFetcher, Redactor, make_client
from glueflake.lake import LocalStore, list_manifests
from glueflake.redact import Redactor as BaseRedactor
from glueflake.redact import basic_forms

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
GOOD = "2026-06-01T10:00:00Z"


# --- defect 1: a cursor that does not parse, or lies in the future ------------------


class CursorApi:
    """One page of orders; `bad` holds the raw JSON text of the hostile record."""

    def __init__(self, bad: bytes) -> None:
        self.bad = bad
        self.since: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.since.append(request.url.params.get("since", ""))
        good = [orjson.dumps({"id": i, "updated_at": GOOD}) for i in (1, 2)]
        body = b'{"data":[' + b",".join([good[0], self.bad, good[1]]) + b"]}"
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def _cursor_config(on_error: str = "continue") -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "sources": {
                "shop": {
                    "base_url": "http://api.test",
                    "endpoints": {
                        "orders": {
                            "path": "/orders",
                            "records": "data",
                            "primary_key": "id",
                            "on_error": on_error,
                            "incremental": {"cursor_field": "updated_at", "param": "since"},
                        }
                    },
                }
            }
        }
    )


BAD_CURSORS = {
    "future": b'{"id":3,"updated_at":"2999-01-01T00:00:00Z"}',
    "month 13": b'{"id":3,"updated_at":"2026-13-45T00:00:00Z"}',
    "not a date": b'{"id":3,"updated_at":"not-a-date"}',
    "duplicated member": b'{"id":3,"updated_at":"2026-01-01T00:00:00Z",'
    b'"updated_at":"2999-01-01T00:00:00Z"}',
    "an object": b'{"id":3,"updated_at":{"t":1}}',
}


@pytest.mark.parametrize("name", sorted(BAD_CURSORS))
def test_untrusted_cursor_is_rejected_and_never_moves_the_bookmark(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import glueflake.extract.job as job

    monkeypatch.setattr(job, "_source_clock", lambda config, source: NOW)
    store, api = LocalStore(tmp_path), CursorApi(BAD_CURSORS[name])
    summary = run_extract(
        _cursor_config(), progress=False, store=store, transport=httpx.MockTransport(api)
    )
    result = summary.result("shop", "orders")
    assert (result.records, result.rejected) == (2, 1)
    bookmark = read_bookmark(store, "shop", "orders")
    assert bookmark is not None and bookmark.value == GOOD
    # Kept, with the reason, not dropped.
    assert result.rejects_key is not None
    kept = [orjson.loads(x) for x in store.get(result.rejects_key).splitlines()]
    assert (
        len(kept) == 1 and kept[0]["index"] == 1 and kept[0]["record"] == BAD_CURSORS[name].decode()
    )
    assert "updated_at" in kept[0]["reason"]
    # Not in the committed data, and the summary says so.
    (manifest,) = list_manifests(store, "shop", "orders")
    lines = gzip.decompress(store.get(manifest.files[0].key)).splitlines()
    assert [orjson.loads(x)["id"] for x in lines] == [1, 2]
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(summary)
    assert "1 record(s) rejected" in console.export_text()
    # The next run still asks from the good bookmark.
    run_extract(_cursor_config(), progress=False, store=store, transport=httpx.MockTransport(api))
    assert api.since == ["1970-01-01T00:00:00Z", GOOD]


def test_untrusted_cursor_aborts_under_on_error_abort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import glueflake.extract.job as job

    monkeypatch.setattr(job, "_source_clock", lambda config, source: NOW)
    store = LocalStore(tmp_path)
    api = CursorApi(BAD_CURSORS["future"])
    with pytest.raises(ExtractError) as info:
        run_extract(
            _cursor_config("abort"), progress=False, store=store, transport=httpx.MockTransport(api)
        )
    message = str(info.value)
    assert "shop.orders: record 2 of GET http://api.test/orders" in message
    assert "2999-01-01T00:00:00Z" in message and "on_error: abort" in message
    assert read_bookmark(store, "shop", "orders") is None
    assert list(list_manifests(store, "shop", "orders")) == []


def test_a_timestamp_within_the_skew_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import glueflake.extract.job as job

    monkeypatch.setattr(job, "_source_clock", lambda config, source: NOW)
    store = LocalStore(tmp_path)
    api = CursorApi(b'{"id":3,"updated_at":"2026-06-01T12:10:00Z"}')  # 10 min ahead
    summary = run_extract(
        _cursor_config(), progress=False, store=store, transport=httpx.MockTransport(api)
    )
    assert summary.result("shop", "orders").rejected == 0
    bookmark = read_bookmark(store, "shop", "orders")
    assert bookmark is not None and bookmark.value == "2026-06-01T12:10:00Z"


def test_a_demo_sources_clock_is_the_simulated_one() -> None:
    from glueflake.extract.job import _source_clock

    config = PipelineConfig.model_validate(
        {
            "demo": {"day": 400, "hour": 10},
            "sources": {
                "s": {"base_url": "demo", "endpoints": {"e": {"path": "/x", "primary_key": "id"}}}
            },
        }
    )
    assert _source_clock(config, config.sources["s"]) == datetime(2027, 2, 5, 9, 59, 59, tzinfo=UTC)


# --- defect 3: credentials go only to the source's own origin ---------------------------

SECRET = "s3cret-K3y+/="


def _origin_config(auth: dict[str, Any], base_url: str) -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "sources": {
                "shop": {
                    "base_url": base_url,
                    "auth": auth,
                    "endpoints": {
                        "items": {
                            "path": "/items",
                            "records": "data",
                            "primary_key": "id",
                            "pagination": {"type": "link_header", "size_param": None},
                        }
                    },
                }
            }
        }
    )


ORIGIN_AUTHS = {
    "header": {"type": "api_key", "key": SECRET},
    "query": {"type": "api_key", "key": SECRET, "name": "api_key", "location": "query"},
    "bearer": {"type": "bearer", "token": SECRET},
    "basic": {"type": "basic", "username": "u", "password": SECRET},
}
ELSEWHERE = {
    "other port": "http://api.test:8081/items?page=2",
    "other host": "http://other.test/items?page=2",
    "other scheme": "https://api.test/items?page=2",
}


class OriginApi:
    """Page 1 at the origin points (Link or redirect) elsewhere; records every request."""

    def __init__(self, how: str, target: str, home: str = "http://api.test") -> None:
        self.how, self.target, self.home = how, target, home
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url).startswith(self.home + "/items") and "page" not in request.url.params:
            if self.how == "redirect":
                return httpx.Response(302, headers={"Location": self.target})
            return httpx.Response(
                200, headers={"Link": f'<{self.target}>; rel="next"'}, json={"data": [{"id": 1}]}
            )
        return httpx.Response(200, json={"data": [{"id": 2}]})


def _leaks(request: httpx.Request) -> bool:
    text = str(request.url) + " " + " ".join(f"{k}: {v}" for k, v in request.headers.items())
    return any(form in text for form in basic_forms("u", SECRET))


@pytest.mark.parametrize("auth", sorted(ORIGIN_AUTHS))
@pytest.mark.parametrize("elsewhere", sorted(ELSEWHERE))
@pytest.mark.parametrize("how", ["link", "redirect"])
def test_credentials_never_leave_the_sources_origin(
    tmp_path: Path, auth: str, elsewhere: str, how: str
) -> None:
    api = OriginApi(how, ELSEWHERE[elsewhere])
    run_extract(
        _origin_config(ORIGIN_AUTHS[auth], "http://api.test"),
        progress=False,
        store=LocalStore(tmp_path),
        transport=httpx.MockTransport(api),
    )
    home = [r for r in api.requests if str(r.url).startswith("http://api.test/")]
    away = [r for r in api.requests if r not in home]
    assert home and away
    assert all(_leaks(r) for r in home)  # the origin gets the credential
    assert not any(_leaks(r) for r in away)


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_an_https_source_never_sends_to_plain_http(tmp_path: Path, how: str) -> None:
    api = OriginApi(how, "http://api.test/items?page=2", home="https://api.test")
    with pytest.raises(ExtractError) as info:
        run_extract(
            _origin_config(ORIGIN_AUTHS["query"], "https://api.test"),
            progress=False,
            store=LocalStore(tmp_path),
            transport=httpx.MockTransport(api),
        )
    assert all(r.url.scheme == "https" for r in api.requests)
    assert "plain http" in str(info.value)
    assert SECRET not in str(info.value)


# --- defect 4: secrets never printed, never inline ----------------------------------------


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "pipeline.yml"
    path.write_text(
        "sources:\n  shop:\n"
        + source
        + "    endpoints:\n      items: {path: /items, primary_key: id}\n"
    )
    return path


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ("    base_url: http://api.test\n    headers: {Authorization: Bearer abc123}\n", "headers"),
        ("    base_url: http://api.test\n    headers: {X-API-Key: abc123}\n", "headers"),
        ("    base_url: https://user:abc123@api.test\n", "base_url"),
        ("    base_url: https://api.test/v1?api_key=abc123\n", "base_url"),
    ],
)
def test_inline_secrets_are_refused_naming_the_field(
    tmp_path: Path, source: str, field: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, source), environ={})
    message = str(info.value)
    assert f"sources.shop.{field}" in message and "${ENV_VAR}" in message
    assert "abc123" not in message


def test_inline_secret_in_params_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(
        "sources:\n  shop:\n    base_url: http://api.test\n    endpoints:\n"
        "      items: {path: /items, primary_key: id, params: {access_token: abc123}}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "sources.shop.endpoints.items.params" in str(info.value)
    assert "abc123" not in str(info.value)


@pytest.mark.parametrize("value", ["abc\ndef123", "abc\r\ndef123", "abc\x00def123"])
def test_a_secret_with_a_line_break_is_refused_without_echo(tmp_path: Path, value: str) -> None:
    source = "    base_url: http://api.test\n    auth: {type: api_key, key: '${K}'}\n"
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, source), environ={"K": value})
    message = str(info.value)
    assert "sources.shop.auth.key" in message and "line break" in message
    assert "def123" not in message


def test_httpx_illegal_header_value_is_redacted() -> None:
    # Even past config validation (a source built in code), h11's message echoes the
    # value as a bytes repr ("Illegal header value b'abc\\ndef123'"): the source's
    # redactor knows that form.
    source = Source(
        base_url="http://api.test",
        auth=ApiKeyAuth(type="api_key", key=SecretStr("abc\ndef123")),
        endpoints={"items": Endpoint(path="/items", primary_key="id")},
    )
    message = f"LocalProtocolError: Illegal header value {b'abc' + bytes([10]) + b'def123'!r}"
    assert "def123" in message
    assert "def123" not in Redactor.for_source(source).text(message)


@pytest.mark.parametrize("form", [SECRET, "s3cret-K3y%2B%2F%3D", "s3cret-K3y%2B/%3D"])
def test_redactor_covers_raw_and_url_encoded_forms(form: str) -> None:
    redactor = BaseRedactor(forms=basic_forms("u", SECRET))
    shown = redactor.text(f"GET /x?k={form} failed")
    assert shown == "GET /x?k=REDACTED failed"


def test_redactor_covers_basic_auth_base64_and_bytes_repr() -> None:
    import base64

    redactor = BaseRedactor(forms=basic_forms("u", "pa\ns"))
    b64 = base64.b64encode(b"u:pa\ns").decode()
    assert b64 not in redactor.text(f"Authorization: Basic {b64}")
    assert "pa\\ns" not in redactor.text("Illegal header value b'pa\\ns'")


def test_cli_redacts_every_resolved_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import typer

    from glueflake import cli
    from glueflake.errors import PipelineError

    secret = "pl41n s3cret/x"
    config = _write(
        tmp_path, "    base_url: http://api.test\n    auth: {type: bearer, token: '${K}'}\n"
    )
    monkeypatch.setenv("K", secret)
    cli._config(config)
    with pytest.raises(typer.Exit), cli._user_errors():
        raise PipelineError(f"boom {secret} / {quote(secret)} / {quote_plus(secret)}")
    shown = capsys.readouterr().err
    assert "boom REDACTED / REDACTED / REDACTED" in shown
    assert "s3cret" not in shown


# --- defect 6: a whole-request deadline and a cap on Retry-After -------------------------


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


class Trickle(httpx.SyncByteStream):
    """A body sent a byte at a time, each byte 'taking' one second of the fake clock."""

    def __init__(self, clock: Clock, body: bytes) -> None:
        self.clock, self.body = clock, body

    def __iter__(self) -> Iterator[bytes]:
        for i in range(len(self.body)):
            self.clock.t += 1.0
            yield self.body[i : i + 1]


def _fetcher(handler: Any, clock: Clock, **source: Any) -> PageFetcher:
    src = Source(
        base_url="http://api.test",
        endpoints={"items": Endpoint(path="/items", primary_key="id")},
        **source,
    )
    client = make_client(src, httpx.MockTransport(handler))
    return PageFetcher(
        client,
        src,
        where="api.items",
        decode=PageDecoder(""),
        sleep=clock.sleep,
        rng=lambda: 0.0,
        clock=clock,
    )


def test_a_trickling_body_is_cut_off_by_the_whole_request_deadline() -> None:
    clock = Clock()
    body = orjson.dumps([{"id": i} for i in range(50)])
    fetcher = _fetcher(
        lambda r: httpx.Response(200, stream=Trickle(clock, body)),
        clock,
        timeout=5.0,
        request_deadline=60.0,
        retries=Retries(max_attempts=2),
    )
    with pytest.raises(ExtractError) as info:
        fetcher(httpx.URL("http://api.test/items"))
    assert "request_deadline" in str(info.value) and "after 2 attempts" in str(info.value)
    assert clock.t < 2 * 61 + 1  # each attempt cut off at its deadline, not at the body's end


def test_a_retry_after_over_the_cap_fails_at_once_naming_it() -> None:
    clock = Clock()
    fetcher = _fetcher(
        lambda r: httpx.Response(429, headers={"Retry-After": "100000"}),
        clock,
        retries=Retries(max_retry_after=60),
    )
    with pytest.raises(ExtractError) as info:
        fetcher(httpx.URL("http://api.test/items"))
    assert "100,000 s (Retry-After)" in str(info.value)
    assert "retries.max_retry_after (60 s)" in str(info.value)
    assert clock.sleeps == []  # nothing waited silently


def test_a_retry_after_over_the_cap_can_be_waited_out_visibly() -> None:
    clock = Clock()
    responses = iter(
        [httpx.Response(429, headers={"Retry-After": "35"}), httpx.Response(200, json=[])]
    )
    messages: list[str] = []
    fetcher = _fetcher(
        lambda r: next(responses),
        clock,
        retries=Retries(max_retry_after=10, retry_after_over_max="wait"),
    )
    fetcher.notify = messages.append
    fetcher(httpx.URL("http://api.test/items"))
    assert clock.t == 35.0
    assert messages[0].startswith("api.items: waiting for the server (Retry-After): 35 s left")
    assert len(messages) == 4  # a countdown: 35, 25, 15, 5


# --- defect 7: deep JSON and a full disk end in one line -----------------------------


def test_json_nested_5000_deep_is_one_clear_error() -> None:
    body = b'{"data":[{"id":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}]}"
    fetcher = _fetcher(lambda r: httpx.Response(200, content=body), Clock())
    fetcher.decode = PageDecoder("data", record_fields=["id"])
    with pytest.raises(ExtractError) as info:
        fetcher(httpx.URL("http://api.test/items"))
    assert "nested deeper" in str(info.value)


def test_disk_full_while_writing_the_lake_is_a_lake_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(LakeError) as info:
        store.put("raw/a/b/x.ndjson.gz", b"data")
    assert "No space left on device" in str(info.value) and "raw/a/b/x.ndjson.gz" in str(info.value)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []  # no temp file left


def test_cli_prints_duckdb_errors_from_module_duckdb_as_one_line() -> None:
    import typer

    from glueflake.cli import _user_errors

    error_type = type("IOException", (Exception,), {"__module__": "_duckdb"})
    with pytest.raises(typer.Exit), _user_errors():
        raise error_type('Could not set lock on file "w.duckdb": Conflicting lock is held')


def test_cli_prints_a_full_disk_as_one_line() -> None:
    import typer

    from glueflake.cli import _user_errors

    with pytest.raises(typer.Exit), _user_errors():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/lake/x")
