"""Day-independent constants of one shop world, shared by customers and orders.

A world is fixed by ``(seed, scale)``; the simulated day and hour only decide how
much of it is visible. Everything here is computed once per world and cached.
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from itertools import accumulate

from glueflake.demo_api.clock import DAY
from glueflake.demo_api.countries import shop_countries
from glueflake.demo_api.prng import bits, stream_key

ORDER_CURRENCIES: tuple[str, ...] = (
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "CAD",
    "AUD",
    "CHF",
    "SEK",
    "BRL",
    "INR",
)
"""Currencies orders are priced in (the rows of ``seeds/exchange_rates.csv``)."""

HISTORY_DAYS = 150
"""Orders arrive at ``scale / HISTORY_DAYS`` a day: ``scale`` of them by the end of day 0."""

ORDERS_START = (1 - HISTORY_DAYS) * DAY
"""First possible order timestamp (2025-08-05T00:00:00Z, day -149)."""

CUSTOMERS_START = ORDERS_START - 730 * DAY
"""Customers sign up during the two years before the first order."""

CATALOG_SIZE = 2_000
"""Number of distinct SKUs; each has one fixed price."""


@dataclass(frozen=True)
class World:
    """Cached constants of one ``(seed, scale)`` world.

    Attributes:
        seed: Dataset seed.
        scale: Orders existing at the end of day 0.
        customers: Number of customers.
        country_codes: Countries the shop sells to (cca2, sorted).
        country_cumulative: Cumulative sampling weights over ``country_codes``.
        country_currency: Order currency per country (its own if in
            ``ORDER_CURRENCIES``, else USD).
        orders_key: PRNG key of the orders' random blocks.
        customers_key: PRNG key of the customers' random blocks.
        sku_prices: Unit price of SKU ``n`` at index ``n - 1`` (x.99, 0.99 to
            299.99; the same number whatever the order currency).
    """

    seed: int
    scale: int
    customers: int
    country_codes: tuple[str, ...]
    country_cumulative: tuple[int, ...]
    country_currency: dict[str, str]
    sku_prices: tuple[float, ...]
    orders_key: int
    customers_key: int

    def key(self, stream: str) -> int:
        """Return the PRNG key of a named stream of this world.

        Args:
            stream: Stream name, e.g. ``"orders.items"``.

        Returns:
            A 64-bit key.
        """
        return _stream_key(self.seed, stream)

    def pick_country(self, bits: int) -> str:
        """Pick a country with probability proportional to sqrt(population).

        Args:
            bits: Random bits.

        Returns:
            A cca2 code.
        """
        total = self.country_cumulative[-1]
        index = bisect.bisect_right(self.country_cumulative, bits % total)
        return self.country_codes[index]


@functools.lru_cache(maxsize=4096)
def _stream_key(seed: int, stream: str) -> int:
    return stream_key(seed, stream)


@functools.lru_cache(maxsize=32)
def world(seed: int, scale: int) -> World:
    """Return the cached world of ``(seed, scale)``.

    Args:
        seed: Dataset seed.
        scale: Orders existing at the end of day 0.

    Returns:
        The world's constants.
    """
    rows = shop_countries()
    codes = tuple(code for code, _, _ in rows)
    # sqrt(population): big countries dominate less than they would in reality,
    # so small-country rows show up in a demo-sized dataset.
    weights = [math.isqrt(population) for _, population, _ in rows]
    currency = {}
    for code, _, currencies in rows:
        own = [c for c in currencies if c in ORDER_CURRENCIES]
        currency[code] = own[0] if own else "USD"
    price_key = stream_key(seed, "orders.prices")
    prices = tuple(
        ((1 + bits(price_key, sku) % 300) * 100 - 1) / 100 for sku in range(1, CATALOG_SIZE + 1)
    )
    return World(
        seed=seed,
        scale=scale,
        customers=max(100, scale // 10),
        country_codes=codes,
        country_cumulative=tuple(accumulate(weights)),
        country_currency=currency,
        sku_prices=prices,
        orders_key=stream_key(seed, "orders"),
        customers_key=stream_key(seed, "customers"),
    )
