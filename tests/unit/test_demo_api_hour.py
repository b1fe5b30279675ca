"""The demo API's time of day: ``hour`` stops the simulated clock inside a day.

At hour ``h`` of day ``d`` the API serves the world as it stands at the last second
of that hour (``settings.now``); hour 24, the default, is the end of the day and
serves exactly what it always did.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pydantic
import pytest
from typer.testing import CliRunner

from glueflake.cli import _config, app
from glueflake.config import Demo
from glueflake.demo_api import (
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
from glueflake.demo_api.clock import DAY, HOUR, day_end

if TYPE_CHECKING:
    from conftest import DemoConfig

D = 300
ORDERS = DemoSettings(seed=7, scale=3_000, day=D)
CUSTOMERS = DemoSettings(seed=7, scale=40_000, day=D)  # 4,000 customers, 20 changes a day


def at(settings: DemoSettings, hour: int) -> DemoSettings:
    return settings.model_copy(update={"hour": hour})


def test_now_is_the_last_second_of_the_hour() -> None:
    assert ORDERS.hour == 24 and ORDERS.now == day_end(D)
    assert at(ORDERS, 1).now == D * DAY + HOUR - 1
    assert iso(at(ORDERS, 9).now) == "2026-10-28T08:59:59Z"
    for bad in (0, 25):
        with pytest.raises(pydantic.ValidationError, match="hour"):
            DemoSettings(day=D, hour=bad)


def _fingerprint(hour: int | None) -> str:
    h = hashlib.sha256()
    for day in (0, 1, 300):
        s = DemoSettings(seed=7, scale=3_000, day=day)
        if hour is not None:
            s = DemoSettings(seed=7, scale=3_000, day=day, hour=hour)
        for since in (None, day * DAY - DAY, day * DAY + DAY // 2):
            h.update(orjson.dumps(orders_page(s, 2, 500, since)))
            h.update(orjson.dumps(customers_page(s, 100, 100, since)))
            h.update(orjson.dumps([count_orders(s, since), count_customers(s, since)]))
        h.update(orjson.dumps([order_record(s, 2_900), customer_record(s, 299)]))
    return h.hexdigest()


# What these calls served before the API had an hour (computed with that code).
BEFORE_HOURS = "26e36c0053c97456d5fbc490ab3844ba8e86e305656ddd045cbdec4e3af65c96"


@pytest.mark.parametrize("hour", [None, 24])
def test_hour_24_serves_byte_for_byte_what_a_day_served_before(hour: int | None) -> None:
    assert _fingerprint(hour) == BEFORE_HOURS


def test_an_earlier_hour_serves_a_different_world() -> None:
    assert _fingerprint(12) != BEFORE_HOURS


@pytest.mark.parametrize("hour", [1, 9, 17, 23])
def test_orders_at_an_hour_are_exactly_those_created_by_then(hour: int) -> None:
    now = iso(at(ORDERS, hour).now)
    day_end_orders = list(iter_orders(ORDERS))
    served = list(iter_orders(at(ORDERS, hour)))
    expected_ids = [o["id"] for o in day_end_orders if o["created_at"] <= now]
    assert [o["id"] for o in served] == expected_ids
    assert count_orders(at(ORDERS, hour)) == len(expected_ids) < len(day_end_orders)
    assert max(o["updated_at"] for o in served) <= now
    with pytest.raises(KeyError):
        order_record(at(ORDERS, hour), len(expected_ids) + 1)


def test_orders_created_during_the_day_appear_hour_by_hour() -> None:
    counts = [count_orders(at(ORDERS, h)) for h in range(1, 25)]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert counts[0] > count_orders(ORDERS.model_copy(update={"day": D - 1}))


@pytest.mark.parametrize("hour", [3, 12, 20])
def test_statuses_at_an_hour_are_the_last_event_by_then(hour: int) -> None:
    now = iso(at(ORDERS, hour).now)
    day_end_orders = {o["id"]: o for o in iter_orders(ORDERS)}
    yesterday = {o["id"]: o for o in iter_orders(ORDERS.model_copy(update={"day": D - 1}))}
    rewound = 0
    for order in iter_orders(at(ORDERS, hour)):
        final = day_end_orders[order["id"]]
        if final["updated_at"] <= now:
            # the last event of the day came before now: nothing differs
            assert order == final
        else:
            # its last event (today, after now) has not happened yet
            rewound += 1
            assert order["updated_at"] < final["updated_at"] and order["updated_at"] <= now
            assert order["status"] != final["status"]
            if order["id"] in yesterday and order["updated_at"] < iso(D * DAY):
                assert order == yesterday[order["id"]]
            for key in ("customer_id", "currency", "shipping_country", "items", "created_at"):
                assert order[key] == final[key]
    assert rewound > 0


def test_an_order_is_served_the_same_at_every_hour_after_its_last_change() -> None:
    hours = {h: {o["id"]: o for o in iter_orders(at(ORDERS, h))} for h in (2, 8, 14, 24)}
    for early, late in ((2, 8), (8, 14), (14, 24)):
        now = iso(at(ORDERS, early).now)
        for order_id, order in hours[late].items():
            if order["updated_at"] <= now:
                assert hours[early][order_id] == order


@pytest.mark.parametrize("since", [D * DAY, D * DAY - DAY // 2, D * DAY + 5 * HOUR])
def test_updated_since_counts_grow_with_the_hour_and_match_the_records(since: int) -> None:
    counts = [count_orders(at(ORDERS, hour), since) for hour in range(1, 25)]
    assert counts == sorted(counts) and counts[0] < counts[-1] == count_orders(ORDERS, since)
    for hour in (1, 7, 13, 24):
        settings = at(ORDERS, hour)
        served = list(iter_orders(settings, since))
        every = [o["id"] for o in iter_orders(settings) if o["updated_at"] >= iso(since)]
        assert [o["id"] for o in served] == every
        assert len(every) == counts[hour - 1]


def test_no_order_is_served_before_the_since_bound_is_reached() -> None:
    settings = at(ORDERS, 6)
    assert count_orders(settings, settings.now + 1) == 0
    assert list(iter_orders(settings, settings.now + 1)) == []


@pytest.mark.parametrize("hour", [1, 12, 22])
def test_customers_never_show_a_change_dated_after_now(hour: int) -> None:
    settings = at(CUSTOMERS, hour)
    now = iso(settings.now)
    today = iso(D * DAY)
    day_end_customers = {c["id"]: c for c in iter_customers(CUSTOMERS)}
    yesterday = {c["id"]: c for c in iter_customers(CUSTOMERS.model_copy(update={"day": D - 1}))}
    served = list(iter_customers(settings))
    assert [c["id"] for c in served] == list(day_end_customers)
    kept = undone = 0
    for customer in served:
        assert customer["updated_at"] <= now
        final = day_end_customers[customer["id"]]
        if final["updated_at"] <= now:
            kept += 1
            assert customer == final
        else:  # changed later today: still as it was at the end of yesterday
            undone += 1
            assert customer == yesterday[customer["id"]]
        assert customer_record(settings, customer["id"]) == customer
    assert kept > 0 and undone > 0
    changed_today = [c for c in day_end_customers.values() if c["updated_at"] >= today]
    assert count_customers(settings, today) == len(changed_today) - undone
    assert [c["id"] for c in iter_customers(settings, today)] == [
        c["id"] for c in served if c["updated_at"] >= today
    ]


def test_customer_changes_accumulate_hour_by_hour() -> None:
    today = D * DAY
    counts = [count_customers(at(CUSTOMERS, h), today) for h in range(1, 25)]
    assert counts == sorted(counts) and counts[0] < counts[-1] == count_customers(CUSTOMERS, today)
    assert count_customers(at(CUSTOMERS, 5), at(CUSTOMERS, 5).now + 1) == 0


def test_countries_do_not_depend_on_the_hour() -> None:
    assert countries(D) == countries(at(ORDERS, 3).today)


# --- configuration and CLI ------------------------------------------------------------


def test_config_demo_hour_defaults_to_the_end_of_the_day() -> None:
    assert Demo().hour == 24
    assert Demo(day=3, hour=9).hour == 9
    for bad in (0, 25):
        with pytest.raises(pydantic.ValidationError, match="hour"):
            Demo(hour=bad)


@pytest.fixture
def config_file(tmp_path: Path, demo_config: DemoConfig) -> Path:
    """The demo pipeline on day 5 at hour 7 (seed 1, scale 1,000)."""
    return demo_config.write(tmp_path, seed=1, scale=1_000, day=5, hour=7)


def test_pipeline_yml_demo_hour_and_the_cli_override(config_file: Path) -> None:
    path = config_file
    assert _config(path).demo.hour == 7
    assert _config(path, demo_hour=20).demo == Demo(seed=1, scale=1_000, day=5, hour=20)
    assert _config(path, demo_day=9).demo == Demo(seed=1, scale=1_000, day=9, hour=7)


def test_pipeline_yml_bad_demo_hour_names_the_field(
    tmp_path: Path, demo_config: DemoConfig
) -> None:
    raw = demo_config(tmp_path)
    raw["demo"] = {"hour": 25}
    path = demo_config.write(tmp_path, raw)
    result = CliRunner().invoke(app, ["run", "--no-progress", "-c", str(path)])
    assert result.exit_code == 2
    assert "demo.hour" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["run", "extract", "demo-api"])
@pytest.mark.parametrize("hour", ["0", "25"])
def test_demo_hour_out_of_range_is_a_usage_error(
    config_file: Path, command: str, hour: str
) -> None:
    result = CliRunner().invoke(app, [command, "-c", str(config_file), "--demo-hour", hour])
    assert result.exit_code == 2
    assert "--demo-hour" in result.output and "Traceback" not in result.output
