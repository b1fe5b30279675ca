"""How long an endpoint is, where the API says so: for progress totals and an ETA.

Two kinds of hints are read, both optional and never trusted for the walk itself
(the paginator alone decides where it ends):

- a ``Link`` header with ``rel="last"`` next to ``rel="next"``: when the two URLs
  differ by one integer parameter (a page number or an offset), the pages left
  follow from it;
- a top-level ``total_pages`` (pages) or ``total``/``count`` (records) in the body
  (read only where the records sit under a key, so the body is an object).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from glueflake.extract.http import Page
from glueflake.extract.links import parse_link_header

PAGES_FIELDS = ("total_pages",)
"""Body keys holding the number of pages."""
RECORDS_FIELDS = ("total", "count")
"""Body keys holding the number of records."""


@dataclass(frozen=True)
class Totals:
    """What the API says about an endpoint's length (None: it does not say)."""

    pages: int | None = None
    records: int | None = None

    @property
    def known(self) -> bool:
        """Whether either total is known."""
        return self.pages is not None or self.records is not None


def total_fields(records_path: str, body_fields: tuple[str, ...]) -> tuple[str, ...]:
    """The body keys to read for totals, next to the records path and `body_fields`.

    None where the body is the record list itself, and none that a path already read
    runs through (the decoder could not read both).
    """
    if not records_path:
        return ()
    taken = {p.split(".")[0] for p in (records_path, *body_fields)}
    return tuple(f for f in PAGES_FIELDS + RECORDS_FIELDS if f not in taken)


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _int_params(url: httpx.URL) -> dict[str, int]:
    return {k: int(v) for k, v in url.params.multi_items() if v.isdigit()}


def _pages_from_links(page: Page, pages_before: int) -> int | None:
    """Total pages from ``rel="next"`` and ``rel="last"`` (see the module notes)."""
    next_target = last_target = None
    for value in page.headers.get_list("link"):
        for link in parse_link_header(value):
            if "next" in link.rels and next_target is None:
                next_target = link.target
            if "last" in link.rels and last_target is None:
                last_target = link.target
    if next_target is None or last_target is None:
        return None
    here = str(page.url)
    next_url = httpx.URL(urljoin(here, next_target))
    last_url = httpx.URL(urljoin(here, last_target))
    if str(next_url) == str(last_url):
        return pages_before + 2
    nxt, last = _int_params(next_url), _int_params(last_url)
    changed = [k for k in nxt if k in last and nxt[k] != last[k]]
    if len(changed) != 1:
        return None
    name = changed[0]
    current = _int_params(page.url).get(name)
    if current is None:  # a first page without the parameter: page 1, or offset 0
        current = 1 if nxt[name] == 2 else 0
    step = nxt[name] - current
    if step <= 0 or last[name] < nxt[name]:
        return None
    return pages_before + 2 + (last[name] - nxt[name]) // step


def page_totals(page: Page, pages_before: int) -> Totals:
    """What `page` says about the endpoint's length; `pages_before` pages came before it."""
    body = page.decoded.body
    pages = next((n for f in PAGES_FIELDS if (n := _count(body.get(f))) is not None), None)
    records = next((n for f in RECORDS_FIELDS if (n := _count(body.get(f))) is not None), None)
    if pages is None:
        pages = _pages_from_links(page, pages_before)
    return Totals(pages=pages, records=records)
