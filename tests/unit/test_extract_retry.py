"""Retries and backoff, on a fake clock: nothing here really sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from glueflake.config import ApiKeyAuth, Endpoint, Retries, Source
from glueflake.errors import ExtractError
from glueflake.extract.decode import PageDecoder
from glueflake.extract.http import PageFetcher, make_client
from glueflake.extract.retry import MAX_RETRY_AFTER, parse_retry_after

SECRET = "qu3ry-s3cret"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _source(max_attempts: int = 5, auth: ApiKeyAuth | None = None) -> Source:
    return Source(
        base_url="http://api.test",
        retries=Retries(max_attempts=max_attempts, backoff_initial=0.5, backoff_max=4.0),
        endpoints={"items": Endpoint(path="/items", primary_key="id")},
        **({"auth": auth} if auth else {}),
    )


def _fetcher(
    handler: Handler, clock: FakeClock, source: Source | None = None, jitter: float = 1.0
) -> tuple[PageFetcher, httpx.Client]:
    source = source or _source()
    client = make_client(source, httpx.MockTransport(handler))
    fetcher = PageFetcher(
        client,
        source,
        where="api.items",
        decode=PageDecoder(""),
        sleep=clock.sleep,
        rng=lambda: jitter,
    )
    return fetcher, client


def _script(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        item = responses[min(len(calls), len(responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return handler, calls


URL = httpx.URL("http://api.test/items")


def test_429_honours_retry_after_seconds() -> None:
    handler, calls = _script(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[{"id": 1}])
    )
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock)
    page = fetcher(URL)
    assert page.decoded.ndjson() == b'{"id":1}\n'
    assert len(calls) == 2
    assert clock.sleeps == [7.0]


def test_503_honours_retry_after_http_date() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now=lambda: now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now=lambda: now) == 0.0
    # Parsed as asked: the cap is the policy's (retries.max_retry_after), applied with a
    # message by the fetcher, not a silent 300 s here.
    assert parse_retry_after("99999") == 99999.0
    assert parse_retry_after("9" * 30) == MAX_RETRY_AFTER
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_5xx_backoff_grows_exponentially_up_to_the_cap() -> None:
    handler, calls = _script(*[httpx.Response(503)] * 5, httpx.Response(200, json=[]))
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock, _source(max_attempts=6))
    fetcher(URL)
    assert len(calls) == 6
    # rng() == 1.0 takes the top of each full-jitter interval: 0.5 * 2**n capped at 4.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_full_jitter_stays_inside_the_interval() -> None:
    handler, _ = _script(*[httpx.Response(500)] * 3, httpx.Response(200, json=[]))
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock, jitter=0.25)
    fetcher(URL)
    assert clock.sleeps == [0.125, 0.25, 0.5]


def test_gives_up_after_max_attempts_with_a_clear_message() -> None:
    handler, calls = _script(httpx.Response(502))
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock, _source(max_attempts=3))
    with pytest.raises(ExtractError) as info:
        fetcher(URL)
    assert len(calls) == 3
    assert len(clock.sleeps) == 2
    message = str(info.value)
    assert "api.items" in message
    assert "http://api.test/items" in message
    assert "after 3 attempts" in message
    assert "HTTP 502" in message


def test_connection_errors_are_retried() -> None:
    handler, calls = _script(
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=[{"id": 2}]),
    )
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock)
    assert fetcher(URL).decoded.ndjson() == b'{"id":2}\n'
    assert len(calls) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("status", [401, 403, 404])
def test_client_errors_are_not_retried(status: int) -> None:
    handler, calls = _script(httpx.Response(status))
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock)
    with pytest.raises(ExtractError) as info:
        fetcher(URL)
    assert len(calls) == 1
    assert clock.sleeps == []
    assert f"HTTP {status}" in str(info.value)
    assert "not retried" in str(info.value)


def test_query_api_key_is_redacted_in_errors() -> None:
    handler, _ = _script(httpx.Response(500))
    auth = ApiKeyAuth(type="api_key", key=SecretStr(SECRET), name="api_key", location="query")
    clock = FakeClock()
    fetcher, _ = _fetcher(handler, clock, _source(max_attempts=2, auth=auth))
    # Even a URL that already carries the key (an API echoing it in a next link).
    with pytest.raises(ExtractError) as info:
        fetcher(httpx.URL(f"http://api.test/items?page=2&api_key={SECRET}"))
    assert SECRET not in str(info.value)
    assert "api_key=REDACTED" in str(info.value)


def test_body_that_is_not_json() -> None:
    handler, _ = _script(httpx.Response(200, content=b"<html>"))
    fetcher, _ = _fetcher(handler, FakeClock())
    with pytest.raises(ExtractError, match="not JSON"):
        fetcher(URL)
