"""The HTTP side: one client per source, and fetching one page with retries."""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from glueflake import __version__
from glueflake.config import Source
from glueflake.errors import ExtractError
from glueflake.extract.auth import build_auth, query_secret_params, secret_headers, secret_values
from glueflake.extract.decode import BodyNotJSON, DecodedPage, PageDecoder
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
        decoded: the records (as JSON text) and the values read from the body.
    """

    url: httpx.URL
    headers: httpx.Headers
    decoded: DecodedPage

    @property
    def count(self) -> int:
        """How many records the page holds."""
        return len(self.decoded)


class LazyTLSTransport(httpx.BaseTransport):
    """httpx's own transport, with its TLS set-up deferred to the first ``https`` request.

    `httpx.Client` builds a verifying SSL context (the CA bundle parsed) when it is
    made, even for a plain-``http`` API; that costs 0.3-0.4 s of CPU, about as much as
    fetching 200 pages of 1,000 orders over loopback. Here plain-``http`` requests go
    through a transport whose SSL context has no CA certificates (it is never used for
    ``http``; were it ever used, verification would fail, never pass), and the
    verifying transport is made on the first ``https`` request, so TLS is verified
    exactly as httpx's default does.
    """

    def __init__(self, limits: httpx.Limits) -> None:
        """Transports with these pool limits, made on first use of each scheme."""
        self._limits = limits
        self._lock = threading.Lock()
        self._plain: httpx.HTTPTransport | None = None
        self._tls: httpx.HTTPTransport | None = None

    def _for(self, scheme: str) -> httpx.HTTPTransport:
        if scheme == "https":
            if self._tls is None:
                with self._lock:
                    if self._tls is None:
                        self._tls = httpx.HTTPTransport(limits=self._limits)
            return self._tls
        if self._plain is None:
            with self._lock:
                if self._plain is None:
                    unverifiable = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # no CA: fails closed
                    self._plain = httpx.HTTPTransport(verify=unverifiable, limits=self._limits)
        return self._plain

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the transport for the request's scheme."""
        return self._for(request.url.scheme).handle_request(request)

    def close(self) -> None:
        """Close whichever transports were made."""
        for transport in (self._plain, self._tls):
            if transport is not None:
                transport.close()


def _secrets_stay_home(names: frozenset[str], host: str) -> Callable[[httpx.Request], None]:
    """A request hook removing the secret headers from requests to any other host.

    The authenticator signs every request of the client, a Link to another host
    included, and httpx copies custom headers (an API key's) onto redirects to
    other hosts; only ``Authorization`` would be dropped, and only on redirects.
    """

    def hook(request: httpx.Request) -> None:
        if request.url.host != host:
            for name in names:
                request.headers.pop(name, None)

    return hook


def make_client(
    source: Source,
    transport: httpx.BaseTransport | None = None,
    *,
    base_url: str | None = None,
) -> httpx.Client:
    """An HTTP/1.1 keep-alive client for one source: auth, headers, timeouts, pool size.

    Args:
        source: the source's config.
        transport: an httpx transport to use instead of the network (tests).
        base_url: the URL the source is served at (default: `source.base_url`); its
            host is the only one the source's credentials are sent to.
    """
    headers = {"User-Agent": f"glueflake/{__version__}", "Accept": "application/json"}
    headers.update(source.headers)
    pool = source.concurrency + 1
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    hooks: dict[str, list[Callable[..., Any]]] = {}
    names = secret_headers(source.auth)
    if names:
        host = httpx.URL(base_url or source.base_url).host
        hooks["request"] = [_secrets_stay_home(names, host)]
    return httpx.Client(
        auth=build_auth(source.auth),
        headers=headers,
        timeout=httpx.Timeout(source.timeout),
        limits=limits,
        follow_redirects=True,
        event_hooks=hooks,
        transport=transport if transport is not None else LazyTLSTransport(limits),
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
    """Fetches one page: GET with retries, then the endpoint's decoder.

    Safe to call from several threads at once (httpx clients are thread-safe).
    """

    def __init__(
        self,
        client: httpx.Client,
        source: Source,
        *,
        where: str,
        decode: PageDecoder,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        """Fetch pages for endpoint `where` (``source.entity``) with the source's policy."""
        self.client = client
        self.where = where
        self.decode = decode
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
            decoded = self.decode(response.content)
        except BodyNotJSON as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} returned a body that is not JSON "
                f"({exc})"
            ) from None
        return Page(url=url, headers=response.headers, decoded=decoded)

    def _attempt(self, url: httpx.URL) -> httpx.Response:
        self.requests += 1
        try:
            response = self.client.get(url)
        except httpx.TransportError as exc:
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:  # too many redirects, an undecodable body
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} failed: "
                f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
            ) from None
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
