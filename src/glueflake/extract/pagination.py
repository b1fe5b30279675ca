"""Paginators: one small class per pagination kind of the config.

A paginator knows three things: the first URL, the URL after a fetched page (None
ends the endpoint), and, when pages are addressed by an integer query parameter,
how to predict the URLs further ahead so they can be fetched concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from glueflake.config import (
    CursorPagination,
    LinkHeaderPagination,
    NextUrlPagination,
    OffsetPagination,
    PageNumberPagination,
    Pagination,
    SinglePage,
    model_tag,
)
from glueflake.errors import ExtractError
from glueflake.extract.http import Page
from glueflake.extract.links import find_rel

Predictor = Callable[[int], httpx.URL]
"""``predict(k)`` is the URL k pages after the page it was built from plus one."""


class Paginator:
    """Base: a single page (no next page, nothing to predict)."""

    repeat_ends_walk = False
    """Whether a page repeating the one before it is the end (see `iter_pages`)."""
    served: int | None = None
    """The API's own page size, found to be below the configured one (else None)."""

    def first(self, url: httpx.URL) -> httpx.URL:
        """The first page's URL, given the endpoint URL with its fixed parameters."""
        return url

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The URL after `page` (fetched from `url`), or None at the end."""
        return None

    def predict(self, url: httpx.URL, next_url: httpx.URL) -> Predictor | None:
        """How to compute the following URLs, or None when they cannot be known ahead."""
        return None

    @property
    def body_fields(self) -> tuple[str, ...]:
        """Dotted paths `next` reads in a page's body (see `DecodedPage.body`)."""
        return ()


class SinglePagePaginator(Paginator):
    """The whole result in one response."""

    def __init__(self, cfg: SinglePage | None = None, where: str = "endpoint") -> None:
        """A single page needs nothing of its config."""


def _int_param(url: httpx.URL, name: str) -> int | None:
    value = url.params.get(name)
    if value is None or not value.lstrip("-").isdigit():
        return None
    return int(value)


def with_int_param(url: httpx.URL, name: str, value: int) -> httpx.URL:
    """`url` with query parameter `name` set to `value`, every other byte as it was.

    The same URL as ``url.copy_set_param(name, str(value))`` but made by editing the
    text: httpx re-encodes the whole query and takes ~0.1 ms, which, a few times a
    page, was a tenth of the extract's own CPU. Leaving the rest of the query
    untouched also keeps predicted URLs textually equal to the API's own links.
    """
    base, mark, query = str(url).partition("?")
    if "#" in query or quote(name, safe="-._~") != name:
        return url.copy_set_param(name, str(value))
    pairs, found = [], False
    for pair in query.split("&") if mark else []:
        if pair.partition("=")[0] != name:
            pairs.append(pair)
        elif not found:  # the first occurrence takes the value; repeats are dropped
            pairs.append(f"{name}={value}")
            found = True
    if not found:
        pairs.append(f"{name}={value}")
    return httpx.URL(f"{base}?{'&'.join(pairs)}")


def predict_integer_step(url: httpx.URL, next_url: httpx.URL) -> Predictor | None:
    """A predictor when `next_url` differs from `url` only by one integer parameter.

    ``?page=3&per_page=100`` followed by ``?page=4&per_page=100`` predicts page 5, 6,
    ...; ``offset=0`` then ``offset=100`` predicts 200, 300, ... Anything else (a
    different path, another changed parameter, a non-integer value) predicts nothing.
    """
    if (url.scheme, url.host, url.port, url.path) != (
        next_url.scheme,
        next_url.host,
        next_url.port,
        next_url.path,
    ):
        return None
    a = dict(url.params.multi_items())
    b = dict(next_url.params.multi_items())
    if a.keys() != b.keys() or len(url.params.multi_items()) != len(a):
        return None
    changed = [k for k in a if a[k] != b[k]]
    if len(changed) != 1:
        return None
    name = changed[0]
    start, following = _int_param(url, name), _int_param(next_url, name)
    if start is None or following is None or following <= start:
        return None
    step = following - start
    return lambda k: with_int_param(next_url, name, following + k * step)


class _SizedPaginator(Paginator):
    """Page-number and offset walks: a short or empty page is the last.

    An API may serve fewer records a page than asked without saying so (its own cap
    on the page size is below `page_size`); ending at the first short page would then
    stop after page one and lose the rest. So a short *first* page is checked: the
    next page is fetched once (alone, nothing predicted). Empty, and the walk ends as
    it would have. Not empty, and the API caps its pages at the first page's count:
    that becomes the size a short page is measured against (`served`, reported in
    the run's summary).
    """

    repeat_ends_walk = True

    def __init__(self, page_size: int) -> None:
        """Ask for `page_size` records a page."""
        self.page_size = page_size
        self._pages = 0
        self._checking: int | None = None  # a short first page's count, being checked

    def _goes_on(self, page: Page) -> bool:
        """Whether the walk goes on after `page` (see the class)."""
        self._pages += 1
        if self._checking is not None:
            first, self._checking = self._checking, None
            if not page.count:
                return False
            self.served = first
        size = self.served or self.page_size
        if page.count >= size:
            return True
        if page.count and self._pages == 1:
            self._checking = page.count
            return True
        return False

    def predict(self, url: httpx.URL, next_url: httpx.URL) -> Predictor | None:
        """Pages are known ahead, except the one checking a short first page."""
        return None if self._checking is not None else predict_integer_step(url, next_url)


class PageNumberPaginator(_SizedPaginator):
    """``?page=N&per_page=M``; a short or empty page is the last."""

    def __init__(self, cfg: PageNumberPagination, where: str = "endpoint") -> None:
        """Paginate per `cfg` (`where`, the endpoint's name, is for errors)."""
        super().__init__(cfg.page_size)
        self.cfg = cfg

    def first(self, url: httpx.URL) -> httpx.URL:
        """Page `first_page` with `page_size` records."""
        return url.copy_merge_params(
            {self.cfg.page_param: str(self.cfg.first_page), self.cfg.size_param: self.cfg.page_size}
        )

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The next page number, unless this page was the last."""
        if not self._goes_on(page):
            return None
        current = _int_param(url, self.cfg.page_param)
        current = self.cfg.first_page if current is None else current
        return with_int_param(url, self.cfg.page_param, current + 1)


class OffsetPaginator(_SizedPaginator):
    """``?offset=N&limit=M``; a short or empty page is the last."""

    def __init__(self, cfg: OffsetPagination, where: str = "endpoint") -> None:
        """Paginate per `cfg` (`where`, the endpoint's name, is for errors)."""
        super().__init__(cfg.page_size)
        self.cfg = cfg

    def first(self, url: httpx.URL) -> httpx.URL:
        """Offset 0 with `page_size` records."""
        return url.copy_merge_params(
            {self.cfg.offset_param: "0", self.cfg.limit_param: self.cfg.page_size}
        )

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The offset after this page's records, unless this page was the last."""
        if not self._goes_on(page):
            return None
        current = _int_param(url, self.cfg.offset_param) or 0
        return with_int_param(url, self.cfg.offset_param, current + page.count)


class CursorPaginator(Paginator):
    """The body names the next cursor; null, empty or absent (or an empty page) ends it."""

    def __init__(self, cfg: CursorPagination, where: str = "endpoint") -> None:
        """Paginate per `cfg`; `where` names the endpoint in errors."""
        self.cfg = cfg
        self.where = where

    @property
    def body_fields(self) -> tuple[str, ...]:
        """The next cursor's path."""
        return (self.cfg.cursor_path,)

    def first(self, url: httpx.URL) -> httpx.URL:
        """No cursor, `page_size` records."""
        return url.copy_merge_params({self.cfg.limit_param: self.cfg.page_size})

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The URL carrying the next cursor."""
        cursor: Any = page.decoded.body.get(self.cfg.cursor_path)
        if cursor is None or cursor == "" or not page.count:
            return None
        cursor = str(cursor)
        if url.params.get(self.cfg.cursor_param) == cursor:
            raise ExtractError(
                f"{self.where}: the API returned the same cursor again at "
                f"{self.cfg.cursor_path!r}; stopping instead of looping forever"
            )
        return url.copy_set_param(self.cfg.cursor_param, cursor)


class LinkHeaderPaginator(Paginator):
    """RFC 8288 ``Link: <url>; rel="next"``; no such link ends it."""

    def __init__(self, cfg: LinkHeaderPagination, where: str = "endpoint") -> None:
        """Paginate per `cfg`; `where` names the endpoint in errors."""
        self.cfg = cfg
        self.where = where

    def first(self, url: httpx.URL) -> httpx.URL:
        """The endpoint URL, with the page size parameter if configured."""
        if self.cfg.size_param:
            return url.copy_merge_params({self.cfg.size_param: self.cfg.page_size})
        return url

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The ``rel="next"`` target, resolved against the page's URL."""
        target = find_rel(page.headers.get_list("link"), "next")
        if not target:
            return None
        next_url = httpx.URL(urljoin(str(url), target))  # url.join, at a fifth of the cost
        if str(next_url) == str(url):
            raise ExtractError(
                f"{self.where}: the Link header's next page is the page itself; "
                "stopping instead of looping forever"
            )
        return next_url

    def predict(self, url: httpx.URL, next_url: httpx.URL) -> Predictor | None:
        """Predictable when the links step one integer parameter (``page=2``, ``3``...)."""
        return predict_integer_step(url, next_url)


class NextUrlPaginator(Paginator):
    """The body names the next page's URL; null, empty or absent (or an empty page) ends it."""

    def __init__(self, cfg: NextUrlPagination, where: str = "endpoint") -> None:
        """Paginate per `cfg`; `where` names the endpoint in errors."""
        self.cfg = cfg
        self.where = where

    @property
    def body_fields(self) -> tuple[str, ...]:
        """The next URL's path."""
        return (self.cfg.next_path,)

    def first(self, url: httpx.URL) -> httpx.URL:
        """The endpoint URL, with the page size parameter if configured."""
        if self.cfg.size_param:
            return url.copy_merge_params({self.cfg.size_param: self.cfg.page_size})
        return url

    def next(self, url: httpx.URL, page: Page) -> httpx.URL | None:
        """The URL the body names, resolved against the page's URL."""
        target: Any = page.decoded.body.get(self.cfg.next_path)
        if not target or not isinstance(target, str) or not page.count:
            return None
        next_url = httpx.URL(urljoin(str(url), target))
        if str(next_url) == str(url):
            raise ExtractError(
                f"{self.where}: the body's next page ({self.cfg.next_path!r}) is the page "
                "itself; stopping instead of looping forever"
            )
        return next_url

    def predict(self, url: httpx.URL, next_url: httpx.URL) -> Predictor | None:
        """Predictable when the URLs step one integer parameter (``page=2``, ``3``...)."""
        return predict_integer_step(url, next_url)


#: The paginator class of each pagination ``type``: built as ``cls(config, where)``.
PAGINATORS: dict[str, Callable[[Any, str], Paginator]] = {
    model_tag(SinglePage): SinglePagePaginator,
    model_tag(PageNumberPagination): PageNumberPaginator,
    model_tag(OffsetPagination): OffsetPaginator,
    model_tag(CursorPagination): CursorPaginator,
    model_tag(LinkHeaderPagination): LinkHeaderPaginator,
    model_tag(NextUrlPagination): NextUrlPaginator,
}


def make_paginator(cfg: Pagination, where: str = "endpoint") -> Paginator:
    """The paginator for an endpoint's pagination config (`where` names it in errors)."""
    return PAGINATORS[cfg.type](cfg, where)
