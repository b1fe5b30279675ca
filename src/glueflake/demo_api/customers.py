"""Customers of the demo shop: a pure function of ``(seed, scale, id, now)``.

Customer ids increase with ``created_at`` (sign-ups spread over the two years
before the first order). Changes come from a schedule of *change slots*: each
simulated day from the first order day on has ``k = max(1, customers // 200)``
slots (about 0.5 % of customers a day, at least one), and slot ``s`` changes
customer ``perm(s mod customers)`` where ``perm`` is a fixed affine permutation.
So every customer changes once every ``customers / k`` days, and both directions
are O(1): the customers changed on a day are read off the slots, and a
customer's last change is found by inverting the permutation. A change moves
either the tier or the country, and ``updated_at`` to that moment. Each slot has a
time of day; ``now`` (the end of the settings' hour of their day) serves the
slots up to it, so a slot later on ``now``'s own day has not happened yet. A
customer's slots are ``customers`` slots (at least 100 days) apart, so at most
one of them falls on any one day.
"""

from __future__ import annotations

import bisect
import functools
import math
from array import array
from collections.abc import Iterator
from typing import Any

from glueflake.demo_api.clock import DAY, Since, iso, to_instant
from glueflake.demo_api.prng import BLOCK, bits, block, stream_key
from glueflake.demo_api.settings import DemoSettings
from glueflake.demo_api.world import CUSTOMERS_START, ORDERS_START, World, world

TIERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
_TIER_CUMULATIVE = (50, 80, 95, 100)  # 50 % bronze, 30 % silver, 15 % gold, 5 % platinum
CHANGE_PERIOD_DAYS = 200
"""On average a customer changes once every this many days."""

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Alan", "Amara", "Ana", "Aiko", "Arjun", "Astrid", "Bea", "Carlos", "Chen",
    "Chloe", "Dara", "David", "Elena", "Emeka", "Fatima", "Femi", "Grace", "Hana", "Hugo",
    "Ines", "Ivan", "Jonas", "Kai", "Kenji", "Lars", "Leila", "Lucia", "Mateo", "Maya",
    "Mei", "Nadia", "Nikos", "Noor", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Sami",
    "Sara", "Sofia", "Tariq", "Thandi", "Tomas", "Wei", "Yara", "Yusuf", "Zanele", "Zoe",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Adeyemi", "Andersson", "Bakker", "Banerjee", "Chen", "Costa", "Dubois", "Eriksen",
    "Fernandez", "Garcia", "Gonzalez", "Hansen", "Hoffmann", "Ibrahim", "Ivanova", "Jensen",
    "Kato", "Khan", "Kim", "Kowalski", "Lovelace", "Lopez", "Mbeki", "Meyer", "Moreau",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Papadopoulos", "Patel", "Petrov",
    "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Sousa", "Suzuki", "Tanaka",
    "Turing", "Usman", "Varga", "Wang", "Weber", "Yilmaz", "Zhang", "Zulu",
)  # fmt: skip


def _slots_per_day(customers: int) -> int:
    return max(1, customers // CHANGE_PERIOD_DAYS)


@functools.lru_cache(maxsize=32)
def _permutation(seed: int, customers: int) -> tuple[int, int, int]:
    """Return ``(a, b, a_inverse)`` of the slot permutation ``x -> (a*x + b) mod n``."""
    a = 2_654_435_761 % customers or 1
    while math.gcd(a, customers) != 1:
        a += 1
    b = bits(stream_key(seed, "customers.permutation"), customers) % customers
    return a, b, pow(a, -1, customers)


def _slot_day(slot: int, per_day: int) -> int:
    return ORDERS_START // DAY + slot // per_day


def _slot_time(w: World, slot: int, per_day: int) -> int:
    return _slot_day(slot, per_day) * DAY + bits(w.key("customers.slot"), slot) % DAY


def _last_slot(per_day: int, day: int) -> int:
    """Index of the last change slot on or before ``day`` (-1 if none)."""
    return (day - ORDERS_START // DAY + 1) * per_day - 1


_WIDTH = 2  # random words per customer: created jitter, names and tier
_SPAN = ORDERS_START - CUSTOMERS_START


def _words(w: World, customer_id: int) -> tuple[array[int], int]:
    offset = customer_id - 1
    return block(w.customers_key, offset // BLOCK, _WIDTH), (offset % BLOCK) * _WIDTH


def _created(w: World, customer_id: int) -> int:
    words, at = _words(w, customer_id)
    return CUSTOMERS_START + ((customer_id - 1) * _SPAN + words[at] % _SPAN) // w.customers


def home_country(w: World, customer_id: int) -> str:
    """Return the country a customer signed up from (before any change).

    Args:
        w: The world.
        customer_id: 1-based id.

    Returns:
        A cca2 code.
    """
    return w.pick_country(bits(w.key("customers.home"), customer_id))


def _tier(bits: int) -> str:
    return TIERS[bisect.bisect_right(_TIER_CUMULATIVE, bits % 100)]


def customer_record(settings: DemoSettings, customer_id: int) -> dict[str, Any]:
    """Return one customer as served at the settings' instant (``settings.now``).

    Args:
        settings: World, day and hour.
        customer_id: 1-based id, at most ``settings.customer_count``.

    Returns:
        The customer dict (contract field order).

    Raises:
        KeyError: If the id does not exist.
    """
    w = world(settings.seed, settings.scale)
    if not 1 <= customer_id <= w.customers:
        raise KeyError(customer_id)
    return _record(w, customer_id, settings.now)


def _record(w: World, customer_id: int, now: int) -> dict[str, Any]:
    n = w.customers
    per_day = _slots_per_day(n)
    _, b, a_inv = _permutation(w.seed, n)
    first = ((customer_id - 1 - b) * a_inv) % n  # first slot that changes this customer
    last_slot = _last_slot(per_day, now // DAY)

    words, at = _words(w, customer_id)
    created = CUSTOMERS_START + ((customer_id - 1) * _SPAN + words[at] % _SPAN) // n
    names = words[at + 1]
    first_name = FIRST_NAMES[names % len(FIRST_NAMES)]
    last_name = LAST_NAMES[(names >> 16) % len(LAST_NAMES)]
    tier = _tier(names >> 32)
    country = home_country(w, customer_id)
    updated = created

    slot_key = w.key("customers.slot")
    slot = first
    while slot <= last_slot:
        change = bits(slot_key, slot)
        at = _slot_day(slot, per_day) * DAY + change % DAY  # == _slot_time(w, slot, per_day)
        if at > now:  # only possible on now's own day, and then it is this customer's last
            break
        if change & (1 << 40):  # a new tier drawn from the sign-up mix, never the same
            new_tier = _tier(change >> 41)
            tier = new_tier if new_tier != tier else TIERS[(TIERS.index(tier) + 1) % len(TIERS)]
        else:
            new = w.pick_country(change >> 20)
            if new == country:
                index = w.country_codes.index(new)
                new = w.country_codes[(index + 1) % len(w.country_codes)]
            country = new
        updated = at
        slot += n

    return {
        "id": customer_id,
        "email": f"{first_name.lower()}.{last_name.lower()}{customer_id}@example.com",
        "first_name": first_name,
        "last_name": last_name,
        "country_code": country,
        "tier": tier,
        "created_at": iso(created),
        "updated_at": iso(updated),
    }


def _updated_at(w: World, customer_id: int, now: int) -> int:
    """Time of the customer's last change slot at or before ``now`` (else sign-up)."""
    n = w.customers
    per_day = _slots_per_day(n)
    _, b, a_inv = _permutation(w.seed, n)
    first = ((customer_id - 1 - b) * a_inv) % n
    last_slot = _last_slot(per_day, now // DAY)
    if first > last_slot:
        return _created(w, customer_id)
    slot = first + ((last_slot - first) // n) * n
    at = _slot_time(w, slot, per_day)
    if at <= now:
        return at
    # later on now's day: the slot before it (a whole day or more earlier) is the last
    slot -= n
    return _slot_time(w, slot, per_day) if slot >= first else _created(w, customer_id)


@functools.lru_cache(maxsize=64)
def _matching_ids(seed: int, scale: int, since: int, now: int) -> array[int]:
    """Sorted ids of customers with ``updated_at >= since`` at instant ``now`` (cached).

    Only customers owning a change slot between ``since``'s day and ``now``'s day
    can match, unless ``since`` precedes the first change (then sign-ups may match
    too and every customer is checked).
    """
    w = world(seed, scale)
    n = w.customers
    per_day = _slots_per_day(n)
    if since > now:
        return array("q")
    first_slot = max(0, (since // DAY - ORDERS_START // DAY) * per_day)
    last_slot = _last_slot(per_day, now // DAY)
    if since <= ORDERS_START or last_slot - first_slot + 1 >= n:
        candidates: list[int] | range = range(1, n + 1)
    else:
        a, b, _ = _permutation(seed, n)
        candidates = sorted({(s % n * a + b) % n + 1 for s in range(first_slot, last_slot + 1)})
    return array("q", (cid for cid in candidates if _updated_at(w, cid, now) >= since))


def customers_page(
    settings: DemoSettings, after_id: int, limit: int, since: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Return the customers after ``after_id`` in id order.

    Args:
        settings: World, day and hour.
        after_id: Last id of the previous page (0 for the first page).
        limit: Page size.
        since: Optional ``updated_at >= since`` filter, seconds since the epoch.

    Returns:
        ``(records, last_id)``; ``last_id`` is ``None`` on the last page.
    """
    w = world(settings.seed, settings.scale)
    now = settings.now
    if since is None:
        ids: list[int] | range = range(after_id + 1, min(w.customers, after_id + limit) + 1)
        more = after_id + limit < w.customers
    else:
        matching = _matching_ids(settings.seed, settings.scale, since, now)
        start = bisect.bisect_right(matching, after_id)
        ids = matching[start : start + limit].tolist()
        more = start + limit < len(matching)
    records = [_record(w, cid, now) for cid in ids]
    return records, (records[-1]["id"] if records and more else None)


def count_customers(settings: DemoSettings, updated_since: Since = None) -> int:
    """Count the customers served at the settings' instant (``settings.now``).

    Args:
        settings: World, day and hour.
        updated_since: Optional ``updated_at >= updated_since`` filter: ISO-8601
            text, a datetime, or seconds since the epoch.

    Returns:
        Number of matching customers.
    """
    since = to_instant(updated_since)
    if since is None:
        return settings.customer_count
    return len(_matching_ids(settings.seed, settings.scale, since, settings.now))


def iter_customers(settings: DemoSettings, updated_since: Since = None) -> Iterator[dict[str, Any]]:
    """Yield every customer served at the settings' instant, in id order.

    Args:
        settings: World, day and hour.
        updated_since: Optional ``updated_at >= updated_since`` filter: ISO-8601
            text, a datetime, or seconds since the epoch.

    Yields:
        Customer dicts.
    """
    since = to_instant(updated_since)
    after = 0
    while True:
        records, last = customers_page(settings, after, 1000, since)
        yield from records
        if last is None:
            return
        after = last
