"""Progress totals from what the API tells: Link rel="last", total_pages/total/count (issue 17)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from glueflake.extract.decode import DecodedPage
from glueflake.extract.http import Page
from glueflake.extract.totals import Totals, page_totals, total_fields


def page(url: str, link: str | None = None, body: dict[str, Any] | None = None) -> Page:
    headers = httpx.Headers({"link": link} if link else {})
    decoded = DecodedPage(lines=[b"{}"], fields={}, body=body or {}, content=b"")
    return Page(httpx.URL(url), headers, decoded)


@pytest.mark.parametrize(
    ("url", "link", "before", "pages"),
    [
        # page numbers, walked from page 1
        (
            "https://a.test/o?page=1&per_page=100",
            '<https://a.test/o?page=2&per_page=100>; rel="next", '
            '<https://a.test/o?page=7&per_page=100>; rel="last"',
            0,
            7,
        ),
        # GitHub style: the first page has no page parameter; relative targets
        (
            "https://a.test/o?per_page=50",
            '</o?per_page=50&page=2>; rel="next", </o?per_page=50&page=5>; rel="last"',
            0,
            5,
        ),
        # offsets: a total of 10 pages of 100, told on the 3rd page
        (
            "https://a.test/o?offset=200&limit=100",
            '</o?offset=300&limit=100>; rel="next", </o?offset=900&limit=100>; rel="last"',
            2,
            10,
        ),
        # the next page is the last
        ("https://a.test/o?page=3", '</o?page=4>; rel="next last"', 2, 4),
    ],
)
def test_link_last_gives_the_pages_total(url: str, link: str, before: int, pages: int) -> None:
    assert page_totals(page(url, link), before) == Totals(pages=pages)


@pytest.mark.parametrize(
    "link",
    [
        None,
        '</o?page=2>; rel="next"',  # no last
        '</o?page=9>; rel="last"',  # no next: this page is the end anyway
        '</o?cursor=abc>; rel="next", </o?cursor=xyz>; rel="last"',  # not integers
        '</o?page=2&x=1>; rel="next", </o?page=9&x=2>; rel="last"',  # two params differ
    ],
)
def test_no_usable_hint_gives_no_total(link: str | None) -> None:
    totals = page_totals(page("https://a.test/o?page=1", link), 0)
    assert totals == Totals() and not totals.known


def test_body_totals() -> None:
    assert page_totals(page("https://a.test/o", body={"total_pages": 12}), 0) == Totals(pages=12)
    assert page_totals(page("https://a.test/o", body={"count": 1023}), 0) == Totals(records=1023)
    assert page_totals(page("https://a.test/o", body={"total": "40"}), 0) == Totals(records=40)
    # not counts: a boolean, a negative number, an object
    for value in (True, -1, {"n": 3}, None):
        assert not page_totals(page("https://a.test/o", body={"total": value}), 0).known


def test_total_fields_only_where_the_body_is_an_object() -> None:
    assert total_fields("", ()) == ()
    assert total_fields("data", ("next_cursor",)) == ("total_pages", "total", "count")
    assert "total" not in total_fields("total.items", ())
    assert "count" not in total_fields("data", ("count.next",))
