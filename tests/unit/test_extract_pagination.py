"""Every pagination kind, and the ordered concurrent page walk."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson
import pytest

from glueflake.config import (
    CursorPagination,
    LinkHeaderPagination,
    OffsetPagination,
    PageNumberPagination,
    SinglePage,
)
from glueflake.errors import ExtractError
from glueflake.extract.decode import PageDecoder
from glueflake.extract.http import Page
from glueflake.extract.pages import iter_pages
from glueflake.extract.pagination import make_paginator, predict_integer_step, with_int_param
from glueflake.extract.records import get_path, select_records

START = httpx.URL("http://api.test/items?since=2026-01-01")
RECORDS = [{"id": i} for i in range(1, 24)]  # 23 records


class FakeApi:
    """Serves RECORDS through one pagination style; counts requests (thread-safe)."""

    def __init__(
        self, style: str, size: int = 5, fail_beyond_end: bool = False, clamp: bool = False
    ) -> None:
        """`size`: the API's own page size (page style) or cap on `limit` (offset style);
        `clamp`: a page past the end is answered with the last page again."""
        self.style = style
        self.size = size
        self.fail_beyond_end = fail_beyond_end
        self.clamp = clamp
        self.requested: list[httpx.URL] = []
        self.lock = threading.Lock()

    def __call__(self, url: httpx.URL) -> Page:
        with self.lock:
            self.requested.append(url)
        time.sleep(0.001)
        p = url.params
        headers = httpx.Headers()
        body: Any
        if self.style == "single":
            return _page(url, headers, {"data": RECORDS})
        if self.style in ("page", "link"):
            page = int(p.get("page", "1"))
            if self.clamp:
                page = min(page, -(-len(RECORDS) // self.size))
            chunk = RECORDS[(page - 1) * self.size : page * self.size]
            if self.fail_beyond_end and not chunk:
                raise ExtractError("beyond the end")
            if self.style == "link" and page * self.size < len(RECORDS):
                nxt = f"/items?since={p['since']}&page={page + 1}&per_page={self.size}"
                headers = httpx.Headers(
                    [("link", f'<{nxt}>; rel="next", </items?page=1>; rel="first"')]
                )
            body = {"data": chunk}
        elif self.style == "offset":
            offset = int(p["offset"])
            body = {"data": RECORDS[offset : offset + min(int(p["limit"]), self.size)]}
        else:  # cursor
            start = int(p.get("cursor", "0"))
            chunk = RECORDS[start : start + int(p["limit"])]
            more = start + len(chunk) < len(RECORDS)
            body = {"data": chunk, "meta": {"next": str(start + len(chunk)) if more else None}}
        return _page(url, headers, body)


def _walk(api: FakeApi, cfg: Any, window: int = 1) -> list[int]:
    pages = iter_pages(api, make_paginator(cfg, "api.items"), START, window=window)
    return [i for page in pages for i in _ids(page)]


IDS = [r["id"] for r in RECORDS]


def _page(url: httpx.URL, headers: httpx.Headers, body: Any) -> Page:
    """A page as the fetcher makes it: the body decoded (records at ``data``)."""
    decode = PageDecoder("data", body_fields=("meta.next", "next_cursor"))
    return Page(url, headers, decode(orjson.dumps(body)))


def _ids(page: Page) -> list[int]:
    return [orjson.loads(bytes(line))["id"] for line in page.decoded.lines]


def test_single_page() -> None:
    api = FakeApi("single")
    assert _walk(api, SinglePage()) == IDS
    assert len(api.requested) == 1


@pytest.mark.parametrize("window", [1, 4])
def test_page_number_stops_on_short_page(window: int) -> None:
    api = FakeApi("page")
    cfg = PageNumberPagination(type="page_number", page_size=5)
    assert _walk(api, cfg, window) == IDS
    used = {u.params["page"] for u in api.requested}
    assert {"1", "2", "3", "4", "5"} <= used
    assert api.requested[0].params["per_page"] == "5"
    assert api.requested[0].params["since"] == "2026-01-01"


def test_page_number_stops_on_empty_page() -> None:
    api = FakeApi("page", size=23)
    cfg = PageNumberPagination(type="page_number", page_size=23)
    assert _walk(api, cfg) == IDS
    assert [u.params["page"] for u in api.requested] == ["1", "2"]


@pytest.mark.parametrize("window", [1, 3])
def test_offset(window: int) -> None:
    api = FakeApi("offset")
    assert _walk(api, OffsetPagination(type="offset", page_size=5), window) == IDS
    if window == 1:
        assert [u.params["offset"] for u in api.requested] == ["0", "5", "10", "15", "20"]


@pytest.mark.parametrize("window", [1, 4])
def test_an_api_serving_fewer_records_a_page_than_asked_is_read_to_the_end(window: int) -> None:
    # The API caps its pages at 5; page_size asks for 10. Page one is short.
    for api, cfg in (
        (FakeApi("page", size=5), PageNumberPagination(type="page_number", page_size=10)),
        (FakeApi("offset", size=5), OffsetPagination(type="offset", page_size=10)),
    ):
        paginator = make_paginator(cfg, "api.items")
        pages = iter_pages(api, paginator, START, window=window)
        assert [i for page in pages for i in _ids(page)] == IDS
        assert paginator.served == 5


def test_a_short_first_page_costs_one_more_request_only() -> None:
    api = FakeApi("page", size=50)
    paginator = make_paginator(PageNumberPagination(type="page_number", page_size=50), "x")
    assert [i for page in iter_pages(api, paginator, START, window=4) for i in _ids(page)] == IDS
    assert [u.params["page"] for u in api.requested] == ["1", "2"]  # nothing predicted
    assert paginator.served is None


@pytest.mark.parametrize("size", [23, 5])
def test_a_page_past_the_end_answered_with_the_last_page_ends_the_walk(size: int) -> None:
    api = FakeApi("page", size=size, clamp=True)
    cfg = PageNumberPagination(type="page_number", page_size=size)
    assert _walk(api, cfg) == IDS  # 23 records, each once
    assert len(api.requested) == -(-len(RECORDS) // size) + (size == 23)


def test_cursor_at_a_dotted_path() -> None:
    api = FakeApi("cursor")
    cfg = CursorPagination(type="cursor", cursor_path="meta.next", page_size=5)
    assert _walk(api, cfg, window=4) == IDS
    assert "cursor" not in api.requested[0].params
    assert [u.params.get("cursor") for u in api.requested[1:]] == ["5", "10", "15", "20"]


def test_cursor_repeating_itself_is_an_error() -> None:
    def stuck(url: httpx.URL) -> Page:
        body = {"data": [{"id": 1}], "next_cursor": "same"}
        return _page(url, httpx.Headers(), body)

    cfg = CursorPagination(type="cursor", page_size=1)
    with pytest.raises(ExtractError, match="same cursor"):
        list(iter_pages(stuck, make_paginator(cfg, "api.items"), START))


@pytest.mark.parametrize("window", [1, 4])
def test_link_header(window: int) -> None:
    api = FakeApi("link")
    cfg = LinkHeaderPagination(type="link_header", page_size=5)
    assert _walk(api, cfg, window) == IDS
    assert api.requested[0].params["per_page"] == "5"


def test_link_header_fetches_ahead_concurrently_in_order() -> None:
    api = FakeApi("link", size=1)
    cfg = LinkHeaderPagination(type="link_header", page_size=1)
    assert _walk(api, cfg, window=4) == IDS
    # Pages beyond the last may have been fetched ahead, but nothing was fetched twice
    # except where a prediction had to be confirmed.
    pages = [u.params.get("page", "1") for u in api.requested]
    assert len(pages) == len(set(pages))
    assert len(pages) <= len(RECORDS) + 4


def test_errors_of_pages_fetched_past_the_end_are_ignored() -> None:
    api = FakeApi("page", fail_beyond_end=True)
    cfg = PageNumberPagination(type="page_number", page_size=5)
    assert _walk(api, cfg, window=4) == IDS


def test_a_broken_prediction_falls_back_to_following_links() -> None:
    # Links jump 1 -> 2 -> 10 -> end: the walk must follow them, not the guesses.
    def api(url: httpx.URL) -> Page:
        page = int(url.params.get("page", "1"))
        nxt = {1: 2, 2: 10}.get(page)
        headers = httpx.Headers([("link", f'</x?page={nxt}>; rel="next"')] if nxt else [])
        records = [{"id": page}]
        return _page(url, headers, {"data": records})

    cfg = LinkHeaderPagination(type="link_header", size_param=None)
    pages = iter_pages(api, make_paginator(cfg), httpx.URL("http://api.test/x?page=1"), window=3)
    assert [_ids(p)[0] for p in pages] == [1, 2, 10]


def test_integer_step_prediction() -> None:
    a = httpx.URL("http://h/x?page=3&per_page=10")
    predict = predict_integer_step(a, httpx.URL("http://h/x?per_page=10&page=4"))
    assert predict is not None
    assert predict(0).params["page"] == "4"
    assert predict(2).params["page"] == "6"
    offset = predict_integer_step(httpx.URL("http://h/x?o=0"), httpx.URL("http://h/x?o=50"))
    assert offset is not None
    assert offset(1).params["o"] == "100"
    assert predict_integer_step(a, httpx.URL("http://h/y?page=4&per_page=10")) is None
    assert predict_integer_step(a, httpx.URL("http://h/x?page=4&per_page=11")) is None
    assert predict_integer_step(a, httpx.URL("http://h/x?page=abc&per_page=10")) is None
    assert predict_integer_step(httpx.URL("http://h/x"), httpx.URL("http://h/x?page=2")) is None


def test_records_selector() -> None:
    body = {"result": {"items": [{"id": 1}]}, "n": 3}
    assert select_records(body, "result.items", "api.items") == [{"id": 1}]
    assert select_records([{"id": 2}], "", "api.items") == [{"id": 2}]
    with pytest.raises(ExtractError, match=r"api\.items.*'result'.*dict"):
        select_records(body, "result", "api.items")
    with pytest.raises(ExtractError, match=r"api\.items.*'nope'.*nothing"):
        select_records(body, "nope", "api.items")
    with pytest.raises(ExtractError, match="the body itself"):
        select_records(body, "", "api.items")
    assert get_path({"a": [{"b": 5}]}, "a.0.b") == 5
    assert get_path({"a": 1}, "a.b", "dflt") == "dflt"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://h/x?page=3&per_page=10", "page"),
        ("http://h/x?per_page=10", "page"),
        ("http://h/x", "offset"),
        ("http://h/x?since=2026-01-01T00%3A00%3A00Z&page=1&page=2", "page"),
        ("http://h/x?q=a+b&page=1#frag", "page"),
        ("http://h/x?p%20age=1", "p age"),
    ],
)
def test_with_int_param_is_copy_set_param_without_the_reencoding(url: str, name: str) -> None:
    given = httpx.URL(url)
    assert with_int_param(given, name, 42) == given.copy_set_param(name, "42")


def test_with_int_param_keeps_the_rest_of_the_query_byte_for_byte() -> None:
    link = "http://h/api/orders?page=8&per_page=1000&updated_since=2020-01-01T00%3A00%3A00Z"
    assert str(with_int_param(httpx.URL(link), "page", 9)) == link.replace("page=8", "page=9")


def test_every_pagination_kind_of_the_config_has_its_paginator() -> None:
    from typing import get_args

    from glueflake.config import Pagination, model_tag
    from glueflake.extract.pagination import PAGINATORS

    models = get_args(get_args(Pagination)[0])
    assert {model_tag(m) for m in models} == set(PAGINATORS)
    for model in models:
        cfg = model.model_validate({"type": model_tag(model)})
        assert isinstance(make_paginator(cfg, "api.items"), PAGINATORS[cfg.type])
