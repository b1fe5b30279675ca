"""Probing a REST endpoint: where its records are, how it pages, and sample records.

A few GET requests with the user's auth: the first page, then at most one request
per pagination kind that the first page does not settle, then a short walk with
the extract's own paginator over the pagination found (so the samples come the
way `glueflake extract` will fetch them).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import TypeAdapter, ValidationError

from glueflake.config import Auth, Endpoint, Source
from glueflake.errors import PipelineError
from glueflake.extract.decode import PageDecoder
from glueflake.extract.http import PageFetcher, Redactor, make_client
from glueflake.extract.links import find_rel
from glueflake.extract.pages import iter_pages
from glueflake.extract.pagination import make_paginator
from glueflake.extract.records import get_path

RECORD_KEYS = ("data", "results", "items", "records", "rows", "entries", "objects", "values")
NEXT_URL_PATHS = (
    "next",
    "next_url",
    "nextUrl",
    "next_page_url",
    "nextPageUrl",
    "next_page",
    "links.next",
    "links.next.href",
    "_links.next.href",
    "_links.next",
    "paging.next",
    "pagination.next",
    "pagination.next_url",
    "meta.next",
    "meta.next_url",
)
CURSOR_PATHS = (
    "next_cursor",
    "nextCursor",
    "cursor",
    "next_page_token",
    "nextPageToken",
    "next_token",
    "nextToken",
    "meta.next_cursor",
    "meta.cursor",
    "pagination.next_cursor",
    "paging.cursors.after",
    "response_metadata.next_cursor",
    "after",
)
PAGE_HINTS = ("total_pages", "totalPages", "last_page", "page_count", "pages", "has_more")
OFFSET_HINTS = ("offset", "skip")
SIZE_PARAMS = ("per_page", "page_size", "pageSize", "limit", "size")
PAGINATIONS = ("single_page", "page_number", "offset", "cursor", "link_header", "next_url")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SECRET_FIELDS = ("key", "token", "password")


class ScaffoldError(PipelineError):
    """add-source could not probe the endpoint or decide something (the message says how to)."""


@dataclass
class Probe:
    """What probing found.

    Attributes:
        base_url: scheme, host and port of the endpoint.
        path: the endpoint's path.
        params: the URL's own query parameters (kept on every request).
        records_path: dotted path of the record list ('' = the body is the list).
        pagination: the pagination config (as the config file writes it).
        records: the sample records, parsed (numbers with a fraction as Decimal).
        pages: how many pages the samples came from.
        notes: what was assumed, one line each, to show the user.
    """

    base_url: str
    path: str
    params: dict[str, str]
    records_path: str = ""
    pagination: dict[str, Any] = field(default_factory=lambda: {"type": "single_page"})
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    notes: list[str] = field(default_factory=list)


def split_url(url: str) -> tuple[str, str, dict[str, str]]:
    """``http://h:1/a/b?x=1`` -> (``http://h:1``, ``/a/b``, ``{'x': '1'}``).

    Raises:
        ScaffoldError: not an http(s) URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ScaffoldError(
            f"URL: expected an http(s) URL such as https://api.example.com/items (got {url!r})"
        )
    return (
        f"{parts.scheme}://{parts.netloc}",
        parts.path or "/",
        dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def resolve_auth(raw: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Auth:
    """The auth config `raw` (secrets as ``${VAR}``) with its secrets read from `environ`.

    Raises:
        ScaffoldError: a secret is inline or its variable is unset, or `raw` is invalid.
    """
    env = os.environ if environ is None else environ
    resolved = dict(raw)
    for name in _SECRET_FIELDS:
        if name not in resolved:
            continue
        ref = _ENV_REF.match(str(resolved[name]))
        if not ref:
            raise ScaffoldError(f"auth {name}: write it as ${{ENV_VAR}}, not inline")
        if not env.get(ref.group(1)):
            raise ScaffoldError(f"auth {name}: environment variable {ref.group(1)} is not set")
        resolved[name] = env[ref.group(1)]
    try:
        return TypeAdapter(Auth).validate_python(resolved)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScaffoldError(f"auth {where}: {first['msg']}") from None


def _loads(content: bytes, where: str) -> Any:
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError as exc:
        raise ScaffoldError(f"{where}: the response is not JSON ({exc})") from None


class Prober:
    """Probes one endpoint; see the module."""

    def __init__(
        self,
        url: str,
        auth: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Probe `url` with `auth` (a config auth block, secrets as ``${VAR}``)."""
        self.base_url, self.path, self.params = split_url(url)
        auth_config = resolve_auth(auth or {"type": "none"}, environ)
        self.source = Source(
            base_url=self.base_url,
            auth=auth_config,
            endpoints={"probe": Endpoint(path=self.path, primary_key="id")},
            concurrency=1,
        )
        self.client = make_client(self.source, transport)
        self.redactor = Redactor.for_source(self.source)
        self.requests = 0

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def get(
        self, params: Mapping[str, str] | None = None, url: str | None = None
    ) -> httpx.Response:
        """One GET of the endpoint with `params` added (or of `url`).

        Raises:
            ScaffoldError: the request failed or the status is not 2xx.
        """
        target = (
            httpx.URL(url)
            if url
            else httpx.URL(self.base_url + self.path).copy_merge_params(
                {**self.params, **(params or {})}
            )
        )
        self.requests += 1
        try:
            response = self.client.get(target)
        except httpx.HTTPError as exc:
            raise ScaffoldError(
                f"GET {self.redactor.url(target)}: {type(exc).__name__}: {exc}"
            ) from None
        if not response.is_success:
            raise ScaffoldError(
                f"GET {self.redactor.url(target)}: HTTP {response.status_code} "
                f"{response.reason_phrase}"
                + (" (check the auth options)" if response.status_code in (401, 403) else "")
            )
        return response

    def probe(
        self,
        *,
        records_path: str | None = None,
        pagination: str | None = None,
        max_pages: int = 5,
        max_samples: int = 1_000,
    ) -> Probe:
        """Find the records and the pagination, then sample up to `max_pages` pages.

        Args:
            records_path: the record list's dotted path, when the user knows it.
            pagination: the pagination kind, when the user knows it.
            max_pages: pages to sample at most.
            max_samples: records to keep at most.
        """
        found = Probe(self.base_url, self.path, dict(self.params))
        first = self.get()
        body = _loads(first.content, f"GET {self.path}")
        found.records_path = (
            records_path if records_path is not None else self._records_path(body, found)
        )
        records = get_path(body, found.records_path)
        if not isinstance(records, list):
            shown = repr(found.records_path) if found.records_path else "the body"
            raise ScaffoldError(f"no list of records at {shown}; pass --records-path")
        if pagination is not None and pagination not in PAGINATIONS:
            raise ScaffoldError(
                f"--pagination: one of {', '.join(PAGINATIONS)} (got {pagination!r})"
            )
        found.pagination = self._pagination(first, body, records, found, pagination)
        self._sample(found, max_pages=max_pages, max_samples=max_samples)
        return found

    # --- records ------------------------------------------------------------------

    @staticmethod
    def _records_path(body: Any, found: Probe) -> str:
        if isinstance(body, list):
            return ""
        if not isinstance(body, dict):
            raise ScaffoldError("the body is neither a list nor an object; pass --records-path")
        for key in RECORD_KEYS:
            value = body.get(key)
            if isinstance(value, list):
                return key
            if isinstance(value, dict):
                for inner in RECORD_KEYS:
                    if isinstance(value.get(inner), list):
                        return f"{key}.{inner}"
        lists = [k for k, v in body.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if not lists:
            raise ScaffoldError("no list of records found in the body; pass --records-path")
        if len(lists) > 1:
            found.notes.append(
                f"records: several lists in the body ({', '.join(lists)}); took {lists[0]!r} "
                "(--records-path to choose)"
            )
        return str(lists[0])

    # --- pagination ---------------------------------------------------------------

    def _pagination(
        self,
        response: httpx.Response,
        body: Any,
        records: list[Any],
        found: Probe,
        forced: str | None,
    ) -> dict[str, Any]:
        envelope = body if isinstance(body, dict) else {}
        config = self._announced(response, envelope, records, found, forced) or self._tried(
            envelope, records, found, forced
        )
        if config is not None:
            return config
        if forced not in (None, "single_page"):
            raise ScaffoldError(f"--pagination {forced}: the endpoint shows no sign of it")
        if forced is None:
            hinted = [h for h in PAGE_HINTS if h in envelope]
            found.notes.append(
                "pagination: none found (no Link header, no next URL or cursor in the body, "
                "?page=2 and ?offset= gave no other records"
                + (f"; the body has {', '.join(hinted)}" if hinted else "")
                + "); assumed single_page: pass --pagination if the API pages"
            )
        return {"type": "single_page"}

    def _announced(
        self,
        response: httpx.Response,
        envelope: dict[str, Any],
        records: list[Any],
        found: Probe,
        forced: str | None,
    ) -> dict[str, Any] | None:
        """Pagination the first page names: a Link header, a next URL or a cursor."""
        size = max(len(records), 1)
        link = find_rel(response.headers.get_list("link"), "next")
        if forced in (None, "link_header") and link:
            size_param = _size_param(dict(httpx.URL(link).params))
            config: dict[str, Any] = {"type": "link_header", "size_param": size_param}
            if size_param:
                config["page_size"] = size
            return config
        next_path = _first_path(envelope, NEXT_URL_PATHS, _looks_like_url)
        if forced in (None, "next_url") and next_path:
            return {"type": "next_url", "next_path": next_path}
        cursor_path = _first_path(envelope, CURSOR_PATHS, lambda v: not _looks_like_url(v))
        if forced not in (None, "cursor") or not cursor_path:
            return None
        cursor = str(get_path(envelope, cursor_path))
        config = {"type": "cursor", "cursor_path": cursor_path, "page_size": size}
        for param in _cursor_params(cursor_path):
            if self._differs(records, {param: cursor}, found.records_path):
                return {**config, "cursor_param": param}
        if forced == "cursor" or not any(h in envelope for h in PAGE_HINTS):
            found.notes.append(
                f"pagination: the body has a cursor at {cursor_path!r} but no query parameter "
                "tried (cursor, after, page_token...) returned other records; assumed "
                "cursor_param 'cursor': check it"
            )
            return config
        return None

    def _tried(
        self, envelope: dict[str, Any], records: list[Any], found: Probe, forced: str | None
    ) -> dict[str, Any] | None:
        """Pagination found by asking: does ``?page=2`` or ``?offset=N`` give other records?"""
        count = len(records)
        size = max(count, 1)
        if forced in (None, "page_number") and (
            forced == "page_number" or self._differs(records, {"page": "2"}, found.records_path)
        ):
            return {
                "type": "page_number",
                "page_param": "page",
                "size_param": _size_param(envelope) or "per_page",
                "page_size": size,
            }
        offset_param = next((h for h in OFFSET_HINTS if h in envelope), "offset")
        if forced in (None, "offset") and (
            forced == "offset"
            or (count and self._differs(records, {offset_param: str(count)}, found.records_path))
        ):
            return {
                "type": "offset",
                "offset_param": offset_param,
                "limit_param": _size_param(envelope, ("limit", "size", "count")) or "limit",
                "page_size": size,
            }
        return None

    def _differs(self, first: list[Any], params: dict[str, str], records_path: str) -> bool:
        """Whether the endpoint with `params` returns records, other than `first`'s."""
        try:
            response = self.get(params)
        except ScaffoldError:
            return False
        try:
            other = get_path(json.loads(response.content, parse_float=Decimal), records_path)
        except ValueError:
            return False
        return isinstance(other, list) and bool(other) and other[:1] != first[:1]

    # --- samples ------------------------------------------------------------------

    def _sample(self, found: Probe, *, max_pages: int, max_samples: int) -> None:
        endpoint = Endpoint.model_validate(
            {
                "path": found.path,
                "records": found.records_path,
                "primary_key": "id",
                "params": found.params,
                "pagination": found.pagination,
            }
        )
        paginator = make_paginator(endpoint.pagination, "add-source")
        decode = PageDecoder(
            endpoint.records, body_fields=paginator.body_fields, where="add-source"
        )
        fetch = PageFetcher(self.client, self.source, where="add-source", decode=decode)
        start = httpx.URL(self.base_url + found.path).copy_merge_params(found.params)
        pages = iter_pages(fetch, paginator, start)
        try:
            for page in pages:  # a generator: closed below, so its pool shuts down
                found.pages += 1
                for line in page.decoded.lines:
                    record = json.loads(bytes(line), parse_float=Decimal)
                    if isinstance(record, dict) and len(found.records) < max_samples:
                        found.records.append(record)
                if found.pages >= max_pages:
                    break
        except PipelineError as exc:
            raise ScaffoldError(
                f"sampling with pagination {found.pagination['type']}: {exc}"
            ) from None
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()
        self.requests += fetch.requests


def _looks_like_url(value: Any) -> bool:
    return isinstance(value, str) and (
        value.startswith(("http://", "https://", "/")) or "?" in value
    )


def _first_path(body: Any, paths: tuple[str, ...], accept: Any) -> str | None:
    for path in paths:
        value = get_path(body, path)
        if value not in (None, "", False) and not isinstance(value, dict | list) and accept(value):
            return path
    return None


def _cursor_params(cursor_path: str) -> list[str]:
    """Query parameters an API likely takes a cursor found at `cursor_path` in."""
    last = cursor_path.rsplit(".", 1)[-1]
    stripped = re.sub(r"^next_?", "", last, flags=re.IGNORECASE)
    stripped = stripped[:1].lower() + stripped[1:]
    guesses = [stripped, last, "cursor", "after", "page_token", "pageToken", "starting_after"]
    return [g for g in dict.fromkeys(guesses) if g]


def _size_param(params: Mapping[str, Any], names: tuple[str, ...] = SIZE_PARAMS) -> str | None:
    return next((name for name in names if name in params), None)
