from __future__ import annotations

import tracemalloc
from collections import Counter

import orjson
import pytest

from glueflake.demo_api import (
    ORDER_CURRENCIES,
    DemoSettings,
    count_customers,
    count_orders,
    countries,
    customer_record,
    customers_page,
    iso,
    iter_customers,
    iter_orders,
    order_record,
    orders_page,
)
from glueflake.demo_api.clock import day_end
from glueflake.demo_api.orders import _filtered

DAY = 300
SETTINGS = DemoSettings(seed=7, scale=3_000, day=DAY, api_key="k")
NEXT = SETTINGS.model_copy(update={"day": DAY + 1})

ORDER_KEYS = [
    "id",
    "customer_id",
    "status",
    "currency",
    "shipping_country",
    "items",
    "created_at",
    "updated_at",
]
CUSTOMER_KEYS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "country_code",
    "tier",
    "created_at",
    "updated_at",
]


def test_settings_defaults_and_repr_hide_the_key() -> None:
    settings = DemoSettings(api_key="super-secret")
    assert settings.day is not None and settings.day >= 0
    assert settings.scale == 20_000 and settings.customer_count == 2_000
    assert "super-secret" not in repr(settings) and "super-secret" not in str(settings)


def test_scale_is_the_order_count_on_day_zero() -> None:
    assert count_orders(DemoSettings(scale=5_000, day=0)) == 5_000
    assert count_customers(DemoSettings(scale=5_000, day=0)) == 500
    assert count_customers(DemoSettings(scale=50, day=0)) == 100


def test_order_shape() -> None:
    cca2 = {c["cca2"] for c in countries(DAY)} - {"AQ"}
    statuses = Counter()
    for order in iter_orders(SETTINGS):
        assert list(order) == ORDER_KEYS
        assert 1 <= order["customer_id"] <= SETTINGS.customer_count
        assert order["currency"] in ORDER_CURRENCIES
        assert order["shipping_country"] in cca2
        assert 1 <= len(order["items"]) <= 5
        for item in order["items"]:
            assert item["sku"].startswith("SKU-") and len(item["sku"]) == 9
            assert 1 <= item["quantity"] <= 5
            assert round(item["unit_price"], 2) == item["unit_price"] > 0
        assert order["created_at"] <= order["updated_at"]
        statuses[order["status"]] += 1
    assert set(statuses) == {"placed", "paid", "shipped", "delivered", "cancelled", "returned"}


def test_customer_shape() -> None:
    cca2 = {c["cca2"] for c in countries(DAY)} - {"AQ"}
    for customer in iter_customers(SETTINGS):
        assert list(customer) == CUSTOMER_KEYS
        assert customer["country_code"] in cca2
        assert customer["tier"] in {"bronze", "silver", "gold", "platinum"}
        assert customer["email"].endswith(f"{customer['id']}@example.com")
        assert customer["created_at"] <= customer["updated_at"]


def test_nothing_after_the_end_of_the_day() -> None:
    end = iso(day_end(DAY))
    assert end == "2026-10-28T23:59:59Z"
    assert max(o["updated_at"] for o in iter_orders(SETTINGS)) <= end
    assert max(o["created_at"] for o in iter_orders(SETTINGS)) <= end
    assert max(c["updated_at"] for c in iter_customers(SETTINGS)) <= end


def test_ids_increase_with_created_at() -> None:
    orders = list(iter_orders(SETTINGS))
    assert [o["id"] for o in orders] == list(range(1, len(orders) + 1))
    created = [o["created_at"] for o in orders]
    assert created == sorted(created)


def test_deterministic_bytes_and_seed_matters() -> None:
    one = orjson.dumps(orders_page(SETTINGS, 2, 500)[0])
    two = orjson.dumps(orders_page(DemoSettings(seed=7, scale=3_000, day=DAY), 2, 500)[0])
    other = orjson.dumps(orders_page(SETTINGS.model_copy(update={"seed": 8}), 2, 500)[0])
    assert one == two
    assert one != other
    assert orjson.dumps(customers_page(SETTINGS, 0, 100)[0]) == orjson.dumps(
        customers_page(SETTINGS, 0, 100)[0]
    )


def test_advancing_a_day_brings_new_orders_and_status_changes() -> None:
    before = {o["id"]: o for o in iter_orders(SETTINGS)}
    after = {o["id"]: o for o in iter_orders(NEXT)}
    new = set(after) - set(before)
    assert new and min(new) == max(before) + 1
    next_day = iso(day_end(DAY + 1))[:10]
    for order_id in new:
        assert after[order_id]["created_at"].startswith(next_day)
    changed = [i for i in before if before[i] != after[i]]
    assert changed
    for order_id in changed:
        assert after[order_id]["status"] != before[order_id]["status"]
        assert after[order_id]["updated_at"].startswith(next_day)
        # everything but status and updated_at is immutable
        for key in ("customer_id", "currency", "shipping_country", "items", "created_at"):
            assert after[order_id][key] == before[order_id][key]
    # one day of change is about 1 % of the orders (new + status changes)
    assert 0.002 < (len(new) + len(changed)) / len(after) < 0.05
    assert count_orders(NEXT, next_day) == len(new) + len(changed)


def test_advancing_a_day_changes_a_few_customers() -> None:
    before = {c["id"]: c for c in iter_customers(SETTINGS)}
    after = {c["id"]: c for c in iter_customers(NEXT)}
    assert set(before) == set(after)
    changed = [i for i in before if before[i] != after[i]]
    assert 1 <= len(changed) <= max(1, len(before) // 50)
    next_day = iso(day_end(DAY + 1))[:10]
    for customer_id in changed:
        old, new = before[customer_id], after[customer_id]
        assert new["updated_at"].startswith(next_day)
        assert (old["tier"], old["country_code"]) != (new["tier"], new["country_code"])
    # at least one change every day, even with the minimum of 100 customers
    small = DemoSettings(scale=10, day=DAY)
    for day in range(DAY, DAY + 5):
        assert count_customers(small.model_copy(update={"day": day}), iso(day * 86_400)) >= 1


@pytest.mark.parametrize(
    "since", ["2026-10-20", "2026-10-28T12:00:00Z", "2026-06-01", "2024-01-01"]
)
def test_counts_agree_with_iteration_and_filter(since: str) -> None:
    orders = list(iter_orders(SETTINGS))
    expected = [o["id"] for o in orders if o["updated_at"] >= iso_since(since)]
    assert [o["id"] for o in iter_orders(SETTINGS, since)] == expected
    assert count_orders(SETTINGS, since) == len(expected)
    customers = list(iter_customers(SETTINGS))
    expected_c = [c["id"] for c in customers if c["updated_at"] >= iso_since(since)]
    assert [c["id"] for c in iter_customers(SETTINGS, since)] == expected_c
    assert count_customers(SETTINGS, since) == len(expected_c)
    assert count_orders(SETTINGS) == len(orders)
    assert count_customers(SETTINGS) == len(customers)


def iso_since(text: str) -> str:
    return text if "T" in text else f"{text}T00:00:00Z"


def test_single_records_match_listings() -> None:
    assert order_record(SETTINGS, 17) == orders_page(SETTINGS, 1, 20)[0][16]
    assert customer_record(SETTINGS, 17) == customers_page(SETTINGS, 16, 1)[0][0]
    with pytest.raises(KeyError):
        order_record(SETTINGS, count_orders(SETTINGS) + 1)


def test_scale_ten_million_pages_without_materialising() -> None:
    big = DemoSettings(scale=10_000_000, day=DAY)
    orders_page(big, 1, 1)  # build the per-world constants outside the measurement
    tracemalloc.start()
    try:
        records, more = orders_page(big, 5_000, 1_000)
        assert more and [r["id"] for r in records] == list(range(4_999_001, 5_000_001))
        customers, last = customers_page(big, 500_000, 1_000)
        assert last == 501_000 and customers[0]["id"] == 500_001
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count_orders(big) > 10_000_000
    # 10M+ orders as dicts would take gigabytes; a page needs a few random blocks
    assert peak < 20_000_000


def test_scale_ten_million_filtered_page_scans_only_the_change_window() -> None:
    big = DemoSettings(scale=10_000_000, day=DAY)
    since = day_end(DAY) - 6 * 3600 + 1
    page, more = orders_page(big, 2, 1_000, since=since)
    assert more and all(r["updated_at"] >= "2026-10-28T18:00:00Z" for r in page)
    matching = _filtered(big.seed, big.scale, since, big.now)
    # what is cached per query: ids of older orders that changed (8 bytes each) + a range
    assert len(matching.scanned) * matching.scanned.itemsize < 8_000_000
    assert count_orders(big, since) == len(matching) < 1_000_000
    # paging on reuses the cached ids
    assert orders_page(big, 3, 1_000, since=since)[0][0]["id"] > page[-1]["id"]
