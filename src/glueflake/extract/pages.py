"""Walking an endpoint's pages in order, fetching ahead concurrently where possible.

While the paginator can predict the following URLs (page numbers, offsets, Link
headers that step an integer parameter), up to `window` requests are in flight;
pages are still yielded strictly in order, and each page's own "next" decides
whether the walk goes on. A request fetched ahead past the end (or off a broken
prediction) is discarded, errors included: only pages that are part of the walk
can fail it. In a page-number or offset walk, a page holding the same records as
the one before it ends the walk unused: some APIs answer a page past their end with
their last page again, which would otherwise be walked forever.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

from glueflake.extract.http import Page
from glueflake.extract.pagination import Paginator, Predictor


def _same(a: httpx.URL, b: httpx.URL) -> bool:
    if str(a) == str(b):  # the usual case, and ~40x cheaper than comparing parsed parts
        return True
    return (a.scheme, a.host, a.port, a.path) == (b.scheme, b.host, b.port, b.path) and sorted(
        a.params.multi_items()
    ) == sorted(b.params.multi_items())


def _repeats(page: Page, before: Page | None) -> bool:
    """Whether `page` holds the records of `before` (compared by its first and last)."""
    if before is None or not page.count or page.count != before.count:
        return False
    lines, earlier = page.decoded.lines, before.decoded.lines
    return bool(lines[0] == earlier[0] and lines[-1] == earlier[-1])


def iter_pages(
    fetch: Callable[[httpx.URL], Page],
    paginator: Paginator,
    start: httpx.URL,
    *,
    window: int = 1,
) -> Iterator[Page]:
    """Yield every page of an endpoint in order.

    Args:
        fetch: fetches one URL (thread-safe when `window` > 1).
        paginator: decides the first URL, the next one and whether URLs are predictable.
        start: the endpoint URL with its fixed query parameters.
        window: the most requests in flight at once (1 = strictly sequential).
    """
    pool = (
        ThreadPoolExecutor(max_workers=window, thread_name_prefix="glueflake-fetch")
        if (window > 1)
        else None
    )
    ahead: deque[tuple[httpx.URL, Future[Page]]] = deque()
    predict: Predictor | None = None
    predicted = 0

    def drop_ahead() -> None:
        while ahead:
            ahead.popleft()[1].cancel()

    url: httpx.URL | None = paginator.first(start)
    before: Page | None = None
    try:
        while url is not None:
            if ahead and _same(url, ahead[0][0]):
                page = ahead.popleft()[1].result()
            else:
                drop_ahead()
                predict = None
                page = fetch(url)
            if paginator.repeat_ends_walk and _repeats(page, before):
                break
            yield page
            before = page
            next_url = paginator.next(url, page)
            if next_url is not None and pool is not None:
                if predict is None:
                    predict = paginator.predict(url, next_url)
                    predicted = 0
                while predict is not None and len(ahead) < window:
                    ahead_url = predict(predicted)
                    predicted += 1
                    ahead.append((ahead_url, pool.submit(fetch, ahead_url)))
            url = next_url
    finally:
        drop_ahead()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
