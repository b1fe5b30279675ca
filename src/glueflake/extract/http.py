"""The HTTP side: one client per source, and fetching one page with retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from glueflake import __version__
from glueflake.config import Source
from glueflake.errors import ExtractError
from glueflake.extract.auth import build_auth, query_secret_params, secret_values
from glueflake.extract.records import select_records
from glueflake.extract.retry import (
    RetryableError,
    is_retryable_status,
    make_retrying,
    parse_retry_after,
)

REDACTED = "REDACTED"
_NOT_RETRIED_HINT = {
    401: "not retried: the API rejected the credentials",
    403: "not retried: the credentials lack permission",
    404: "not retried: check the endpoint path",
}


@dataclass(frozen=True)
class Page:
    """One fetched page.

    Attributes:
        url: the URL requested (without auth parameters).
        headers: the response headers.
        body: the parsed JSON body.
        records: the record list selected from the body.
    """

    url: httpx.URL
    headers: httpx.Headers
    body: Any
    records: list[Any]


def make_client(source: Source, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An HTTP/1.1 keep-alive client for one source: auth, headers, timeouts, pool size."""
    headers = {"User-Agent": f"glueflake/{__version__}", "Accept": "application/json"}
    headers.update(source.headers)
    pool = source.concurrency + 1
    return httpx.Client(
        auth=build_auth(source.auth),
        headers=headers,
        timeout=httpx.Timeout(source.timeout),
        limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        follow_redirects=True,
        transport=transport,
    )


class Redactor:
    """Removes secrets from URLs and messages shown to people."""

    def __init__(self, query_params: Iterable[str] = (), values: Iterable[str] = ()) -> None:
        """Redact the query parameters named and any occurrence of the values."""
        self.query_params = frozenset(query_params)
        self.values = [v for v in values if v]

    @classmethod
    def for_source(cls, source: Source) -> Redactor:
        """The redactor for a source's auth config."""
        return cls(query_secret_params(source.auth), secret_values(source.auth))

    def url(self, url: httpx.URL) -> str:
        """The URL as text with secret query parameters replaced."""
        for name in self.query_params:
            if name in url.params:
                url = url.copy_set_param(name, REDACTED)
        return self.text(str(url))

    def text(self, text: str) -> str:
        """`text` with every secret value replaced."""
        for value in self.values:
            text = text.replace(value, REDACTED)
        return text


class PageFetcher:
    """Fetches one page: GET with retries, JSON parse, records selection.

    Safe to call from several threads at once (httpx clients are thread-safe).
    """

    def __init__(
        self,
        client: httpx.Client,
        source: Source,
        *,
        where: str,
        records_path: str,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        """Fetch pages for endpoint `where` (``source.entity``) with the source's policy."""
        self.client = client
        self.where = where
        self.records_path = records_path
        self.policy = source.retries
        self.sleep = sleep
        self.rng = rng
        self.redactor = Redactor.for_source(source)
        self.requests = 0

    def __call__(self, url: httpx.URL) -> Page:
        """GET `url` and return its page.

        Raises:
            ExtractError: a non-retryable status, retries exhausted, or a body that is
                not JSON or has no record list at the records path.
        """
        retrying = make_retrying(self.policy, sleep=self.sleep, rng=self.rng)
        try:
            response = retrying(self._attempt, url)
        except RetryableError as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} failed after "
                f"{self.policy.max_attempts} attempts; last: {self.redactor.text(exc.reason)}"
            ) from None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} returned a body that is not JSON "
                f"({exc.msg})"
            ) from None
        return Page(
            url=url,
            headers=response.headers,
            body=body,
            records=select_records(body, self.records_path, self.where),
        )

    def _attempt(self, url: httpx.URL) -> httpx.Response:
        self.requests += 1
        try:
            response = self.client.get(url)
        except httpx.TransportError as exc:
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status < 400:
            return response
        if is_retryable_status(status):
            raise RetryableError(
                f"HTTP {status} {response.reason_phrase}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        hint = _NOT_RETRIED_HINT.get(status, "not retried: a client error")
        raise ExtractError(
            f"{self.where}: GET {self.redactor.url(url)} returned HTTP {status} "
            f"{response.reason_phrase} ({hint})"
        )
