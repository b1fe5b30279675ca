"""The HTTP side: one client per source, and fetching one page with retries."""

from __future__ import annotations

import random
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from glueflake import __version__
from glueflake.config import Source
from glueflake.errors import ExtractError
from glueflake.extract.auth import (
    build_auth,
    query_secret_params,
    secret_forms_of,
    secret_headers,
)
from glueflake.extract.decode import BodyNotJSON, DecodedPage, PageDecoder
from glueflake.extract.retry import (
    RetryableError,
    is_retryable_status,
    make_retrying,
    parse_retry_after,
)
from glueflake.redact import REDACTED
from glueflake.redact import Redactor as BaseRedactor

if TYPE_CHECKING:
    from glueflake.extract.worked import WorkedPage

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
        decoded: the records (as JSON text) and the values read from the body; of a
            page worked in a worker process, only its first and last record.
        worked: what a worker process made of the page (None: nothing, in-process).
    """

    url: httpx.URL
    headers: httpx.Headers
    decoded: DecodedPage
    worked: WorkedPage | None = None

    @property
    def count(self) -> int:
        """How many records the page holds."""
        return len(self.decoded) if self.worked is None else self.worked.served


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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """A URL's origin: scheme, host and port (the scheme's default port filled in)."""
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme))


class DowngradeRefused(Exception):
    """A request of an https source would go over plain http (a Link or a redirect)."""

    def __init__(self, url: httpx.URL) -> None:
        super().__init__(str(url))
        self.url = url


def _credentials_stay_home(
    home: httpx.URL, names: frozenset[str], params: frozenset[str], forms: frozenset[str]
) -> Callable[[httpx.Request], None]:
    """A request hook that keeps credentials at the source's own origin.

    The authenticator signs every request of the client, a Link to another origin
    included, and httpx copies custom headers (an API key's) onto redirects to other
    origins; only ``Authorization`` would be dropped, and only on redirects. So every
    request whose scheme, host or port differs from the source's loses the secret
    headers, ``Authorization`` and the secret query parameters (and any parameter
    carrying a secret), and an https source never sends a request over plain http.
    """
    home_origin = origin(home)

    def hook(request: httpx.Request) -> None:
        if home.scheme == "https" and request.url.scheme != "https":
            raise DowngradeRefused(request.url)
        if origin(request.url) == home_origin:
            return
        for name in names | {"Authorization", "Proxy-Authorization"}:
            request.headers.pop(name, None)
        url = request.url
        for name, value in url.params.multi_items():
            if name in params or value in forms:
                url = url.copy_remove_param(name)
        if url != request.url:
            request.url = url

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
            origin (scheme, host, port) is the only one the source's credentials are
            sent to.
    """
    headers = {"User-Agent": f"glueflake/{__version__}", "Accept": "application/json"}
    headers.update(source.headers)
    pool = source.concurrency + 1
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    home = httpx.URL(base_url or source.base_url)
    hooks: dict[str, list[Callable[..., Any]]] = {
        "request": [
            _credentials_stay_home(
                home,
                secret_headers(source.auth),
                query_secret_params(source.auth),
                frozenset(secret_forms_of(source.auth)),
            )
        ]
    }
    return httpx.Client(
        auth=build_auth(source.auth),
        headers=headers,
        timeout=httpx.Timeout(min(source.timeout, source.request_deadline)),
        limits=limits,
        follow_redirects=True,
        event_hooks=hooks,
        transport=transport if transport is not None else LazyTLSTransport(limits),
    )


class Redactor(BaseRedactor):
    """Removes secrets from URLs and messages shown to people."""

    def __init__(
        self,
        query_params: Iterable[str] = (),
        values: Iterable[str] = (),
        *,
        forms: Iterable[str] = (),
    ) -> None:
        """Redact the query parameters named and any occurrence of the values (any form)."""
        super().__init__(values, forms=forms)
        self.query_params = frozenset(query_params)

    @classmethod
    def for_source(cls, source: Source) -> Redactor:
        """The redactor for a source's auth config."""
        return cls(query_secret_params(source.auth), forms=secret_forms_of(source.auth))

    def url(self, url: httpx.URL) -> str:
        """The URL as text with secret query parameters replaced."""
        for name in self.query_params:
            if name in url.params:
                url = url.copy_set_param(name, REDACTED)
        return self.text(str(url))


class PageFetcher:
    """Fetches one page: GET with retries, then the endpoint's decoder.

    Safe to call from several threads at once (httpx clients are thread-safe).
    Each attempt has a whole-request deadline (`Source.request_deadline`), its body
    included: httpx's timeout applies to each read, so a server trickling a body a
    byte at a time would otherwise never be cut off. A ``Retry-After`` longer than
    `Retries.max_retry_after` fails the fetch at once, naming it, or (with
    ``retry_after_over_max: wait``) is waited out with a countdown on stderr.
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
        clock: Callable[[], float] = time.monotonic,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        """Fetch pages for endpoint `where` (``source.entity``) with the source's policy.

        Args:
            client: the source's client (`make_client`).
            source: the source's config (retries, deadline).
            where: ``source.entity`` for messages.
            decode: the endpoint's page decoder.
            sleep: how retries wait (tests pass a fake clock).
            rng: the backoff's jitter.
            clock: monotonic seconds, for the whole-request deadline.
            notify: where a long wait is announced (default: a line on stderr).
        """
        self.client = client
        self.where = where
        self.decode = decode
        self.policy = source.retries
        self.deadline = source.request_deadline
        self.sleep = sleep
        self.rng = rng
        self.clock = clock
        self.notify = notify or _to_stderr
        self.redactor = Redactor.for_source(source)
        self.requests = 0

    def __call__(self, url: httpx.URL) -> Page:
        """GET `url` and return its page.

        Raises:
            ExtractError: a non-retryable status, retries exhausted, a Retry-After over
                the cap, or a body that is not JSON or has no record list at the
                records path.
        """
        retrying = make_retrying(self.policy, sleep=self._wait, rng=self.rng)
        try:
            response, content = retrying(self._attempt, url)
        except RetryableError as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} failed after "
                f"{self.policy.max_attempts} attempts; last: {self.redactor.text(exc.reason)}"
            ) from None
        try:
            decoded = self.decode(content)
        except BodyNotJSON as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} returned a body that is not JSON "
                f"({exc})"
            ) from None
        except RecursionError:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} returned JSON nested too deeply "
                "to read"
            ) from None
        return Page(url=url, headers=response.headers, decoded=decoded)

    def _wait(self, seconds: float) -> None:
        """Sleep between attempts; a wait over the Retry-After cap counts down visibly."""
        if seconds <= self.policy.max_retry_after:
            self.sleep(seconds)
            return
        left = seconds
        while left > 0:
            self.notify(
                f"{self.where}: waiting for the server (Retry-After): {left:,.0f} s left "
                f"(over retries.max_retry_after, {self.policy.max_retry_after:g} s)"
            )
            step = min(left, 10.0)
            self.sleep(step)
            left -= step

    def _read(self, response: httpx.Response, started: float) -> bytes:
        """The body, cut off (retryably) once the whole request passes its deadline."""
        chunks: list[bytes] = []
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            if self.clock() - started > self.deadline:
                raise RetryableError(
                    f"the response took over {self.deadline:g} s as a whole "
                    "(source.request_deadline); the body was still arriving"
                )
        return b"".join(chunks)

    def _attempt(self, url: httpx.URL) -> tuple[httpx.Response, bytes]:
        self.requests += 1
        started = self.clock()
        try:
            response = self.client.send(self.client.build_request("GET", url), stream=True)
            try:
                content = self._read(response, started)
            finally:
                response.close()
        except DowngradeRefused as exc:
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} was sent on to "
                f"{self.redactor.url(exc.url)}: refused, the source is https and nothing "
                "of it goes over plain http"
            ) from None
        except httpx.TransportError as exc:
            raise RetryableError(self.redactor.text(f"{type(exc).__name__}: {exc}")) from exc
        except httpx.HTTPError as exc:  # too many redirects, an undecodable body
            raise ExtractError(
                f"{self.where}: GET {self.redactor.url(url)} failed: "
                f"{type(exc).__name__}: {self.redactor.text(str(exc))}"
            ) from None
        status = response.status_code
        if status < 400:
            return response, content
        if is_retryable_status(status):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if (
                retry_after is not None
                and retry_after > self.policy.max_retry_after
                and self.policy.retry_after_over_max == "fail"
            ):
                raise ExtractError(
                    f"{self.where}: GET {self.redactor.url(url)} returned HTTP {status} "
                    f"{response.reason_phrase} asking to wait {retry_after:,.0f} s "
                    f"(Retry-After), over retries.max_retry_after "
                    f"({self.policy.max_retry_after:g} s); not retried (set "
                    "retries.retry_after_over_max: wait to wait it out)"
                )
            raise RetryableError(
                f"HTTP {status} {response.reason_phrase}", status=status, retry_after=retry_after
            )
        hint = _NOT_RETRIED_HINT.get(status, "not retried: a client error")
        raise ExtractError(
            f"{self.where}: GET {self.redactor.url(url)} returned HTTP {status} "
            f"{response.reason_phrase} ({hint})"
        )


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
