"""Orders of the demo shop: a pure function of ``(seed, scale, id, now)``.

Orders arrive at a constant ``scale / HISTORY_DAYS`` a day from 2025-08-05, so
``scale`` of them exist at the end of day 0 and ids increase with
``created_at``. Order ``i`` is created at
``ORDERS_START + ((i - 1) * P + jitter_i) // scale`` with ``P`` the history length
in seconds and ``jitter_i < P``: monotone in ``i``, so "the first order created
at or after t" is O(1) and page ``k`` of a listing is ids
``(k-1)*per_page + 1 ...`` with no scan.

Each order then moves through its statuses on a timeline drawn from its own
random bits: placed, paid (+1 day), shipped (+2..3 days), delivered (+5..7
days); about 3 % are cancelled within hours instead, and about 3 % of delivered
orders are returned 2..3 days later. ``now`` is the instant the settings serve
(the end of hour ``hour`` of ``day``; by default the end of the day): only orders
created at or before it exist, and the status served is the last event not after
it; ``updated_at`` is that event's time. The last
event comes at most ``CHANGE_WINDOW`` after creation, so an ``updated_since``
filter only has to test orders created in that window before ``since``; all
orders created after ``since`` match by definition.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterator
from typing import Any

from glueflake.demo_api.clock import DAY, HOUR, Since, iso, to_instant
from glueflake.demo_api.customers import home_country
from glueflake.demo_api.prng import BLOCK, block, step
from glueflake.demo_api.settings import DemoSettings
from glueflake.demo_api.world import CATALOG_SIZE, HISTORY_DAYS, ORDERS_START, World, world

CHANGE_WINDOW = 11 * DAY
"""Upper bound of (last status change - created_at)."""

_HISTORY = HISTORY_DAYS * DAY
_SIX_HOURS = 6 * HOUR
_QUANTITIES = (1, 1, 1, 1, 2, 2, 3, 4, 5)
_LATEST_DELIVERY = 7 * DAY + 6 * HOUR  # no delivery event comes later than this
_WIDTH = 4  # random words per order: created jitter, lifecycle, header, items


def _words(w: World, order_id: int) -> tuple[array[int], int]:
    offset = order_id - 1
    return block(w.orders_key, offset // BLOCK, _WIDTH), (offset % BLOCK) * _WIDTH


def _created(w: World, order_id: int) -> int:
    words, at = _words(w, order_id)
    return ORDERS_START + ((order_id - 1) * _HISTORY + words[at] % _HISTORY) // w.scale


def _first_created_at_or_after(w: World, moment: int) -> int:
    """Smallest order id whose ``created_at >= moment`` (ids are monotone in time)."""
    offset = moment - ORDERS_START
    if offset <= 0:
        return 1
    # created(i) >= moment  <=>  (i - 1) * H + jitter_i >= offset * scale
    target = offset * w.scale
    candidate = target // _HISTORY + 1  # the only id whose interval holds the target
    words, at = _words(w, candidate)
    jitter = words[at] % _HISTORY
    return candidate if (candidate - 1) * _HISTORY + jitter >= target else candidate + 1


def _last_id(w: World, now: int) -> int:
    """Id of the last order created at or before ``now`` (0 if none)."""
    return _first_created_at_or_after(w, now + 1) - 1


def _status(life: int, created: int, now: int) -> tuple[str, int]:
    """Status and ``updated_at`` at ``now`` of an order with lifecycle bits ``life``."""
    if life & 0x3F < 2:  # ~3 % cancelled a few hours after placing
        cancelled = created + HOUR + (life >> 6) % (12 * HOUR)
        return ("cancelled", cancelled) if cancelled <= now else ("placed", created)
    paid = created + DAY + (life >> 6) % _SIX_HOURS
    if paid > now:
        return "placed", created
    shipped = created + (2 + (life >> 21) % 2) * DAY + (life >> 22) % _SIX_HOURS
    if shipped > now:
        return "paid", paid
    delivered = created + (5 + (life >> 37) % 3) * DAY + (life >> 39) % _SIX_HOURS
    if delivered > now:
        return "shipped", shipped
    if (life >> 56) & 0x3F < 2:  # ~3 % of delivered orders come back
        returned = delivered + (2 + (life >> 62) % 2) * DAY
        if returned <= now:
            return "returned", returned
    return "delivered", delivered


def _record(w: World, order_id: int, now: int) -> dict[str, Any]:
    offset = order_id - 1
    words = block(w.orders_key, offset // BLOCK, _WIDTH)
    at = (offset % BLOCK) * _WIDTH
    created = ORDERS_START + (offset * _HISTORY + words[at] % _HISTORY) // w.scale
    status, updated = _status(words[at + 1], created, now)
    header = words[at + 2]
    customer_id = 1 + header % w.customers
    if (header >> 40) % 100 < 85:  # most orders ship to the customer's home country
        country = home_country(w, customer_id)
    else:
        country = w.pick_country(header >> 8)
    prices = w.sku_prices
    state = words[at + 3]
    items = []
    for _ in range(1 + (header >> 50) % 5):
        sku = 1 + (state >> 33) % CATALOG_SIZE
        items.append(
            {
                "sku": f"SKU-{sku:05d}",
                "quantity": _QUANTITIES[(state >> 20) % len(_QUANTITIES)],
                "unit_price": prices[sku - 1],
            }
        )
        state = step(state)
    return {
        "id": order_id,
        "customer_id": customer_id,
        "status": status,
        "currency": w.country_currency[country],
        "shipping_country": country,
        "items": items,
        "created_at": iso(created),
        "updated_at": iso(updated),
    }


def order_record(settings: DemoSettings, order_id: int) -> dict[str, Any]:
    """Return one order as served at the settings' instant (``settings.now``).

    Args:
        settings: World, day and hour.
        order_id: 1-based id.

    Returns:
        The order dict (contract field order).

    Raises:
        KeyError: If the order does not exist yet at that instant.
    """
    w = world(settings.seed, settings.scale)
    now = settings.now
    if not 1 <= order_id <= _last_id(w, now):
        raise KeyError(order_id)
    return _record(w, order_id, now)


class _Filtered:
    """Ids matching one ``updated_since`` query: a scanned prefix, then a plain range."""

    def __init__(self, scanned: array[int], range_start: int, range_end: int) -> None:
        self.scanned = scanned
        self.range_start = range_start
        self.range_end = range_end  # inclusive

    def __len__(self) -> int:
        return len(self.scanned) + max(0, self.range_end - self.range_start + 1)

    def slice(self, offset: int, count: int) -> list[int]:
        ids = self.scanned[offset : offset + count].tolist()
        rest = count - len(ids)
        if rest > 0:
            start = self.range_start + max(0, offset - len(self.scanned))
            ids.extend(range(start, min(self.range_end, start + rest - 1) + 1))
        return ids


@functools.lru_cache(maxsize=64)
def _filtered(seed: int, scale: int, since: int, now: int) -> _Filtered:
    """Ids matching ``updated_at >= since`` at instant ``now`` (cached per query)."""
    w = world(seed, scale)
    last = _last_id(w, now)
    if since > now:
        return _Filtered(array("q"), 1, 0)
    first_created = min(last + 1, _first_created_at_or_after(w, since))
    window_start = _first_created_at_or_after(w, since - CHANGE_WINDOW)
    # Orders created before ``since`` minus the longest delivery can only match by
    # being returned: test that flag first, it is far cheaper than the timeline.
    delivered_by = _first_created_at_or_after(w, since - _LATEST_DELIVERY)
    scanned = array("q")
    key = w.orders_key
    for order_id in range(window_start, first_created):
        offset = order_id - 1
        at = (offset % BLOCK) * _WIDTH
        words = block(key, offset // BLOCK, _WIDTH)
        life = words[at + 1]
        if order_id < delivered_by and ((life >> 56) & 0x3F >= 2 or life & 0x3F < 2):
            continue
        created = ORDERS_START + (offset * _HISTORY + words[at] % _HISTORY) // w.scale
        if _status(life, created, now)[1] >= since:
            scanned.append(order_id)
    return _Filtered(scanned, first_created, last)


def orders_page(
    settings: DemoSettings, page: int, per_page: int, since: int | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """Return page ``page`` (1-based) of the orders, in id order.

    Args:
        settings: World, day and hour.
        page: 1-based page number.
        per_page: Page size.
        since: Optional ``updated_at >= since`` filter, seconds since the epoch.

    Returns:
        ``(records, has_next_page)``.
    """
    w = world(settings.seed, settings.scale)
    now = settings.now
    offset = (page - 1) * per_page
    if since is None:
        total = _last_id(w, now)
        ids: list[int] | range = range(offset + 1, min(total, offset + per_page) + 1)
    else:
        matching = _filtered(settings.seed, settings.scale, since, now)
        total = len(matching)
        ids = matching.slice(offset, per_page) if offset < total else []
    return [_record(w, i, now) for i in ids], offset + per_page < total


def count_orders(settings: DemoSettings, updated_since: Since = None) -> int:
    """Count the orders served at the settings' instant (``settings.now``).

    Args:
        settings: World, day and hour.
        updated_since: Optional ``updated_at >= updated_since`` filter: ISO-8601
            text, a datetime, or seconds since the epoch.

    Returns:
        Number of matching orders.
    """
    since = to_instant(updated_since)
    if since is None:
        return _last_id(world(settings.seed, settings.scale), settings.now)
    return len(_filtered(settings.seed, settings.scale, since, settings.now))


def iter_orders(settings: DemoSettings, updated_since: Since = None) -> Iterator[dict[str, Any]]:
    """Yield every order served at the settings' instant, in id order.

    Args:
        settings: World, day and hour.
        updated_since: Optional ``updated_at >= updated_since`` filter: ISO-8601
            text, a datetime, or seconds since the epoch.

    Yields:
        Order dicts.
    """
    since = to_instant(updated_since)
    page = 1
    while True:
        records, more = orders_page(settings, page, 1000, since)
        yield from records
        if not more:
            return
        page += 1
