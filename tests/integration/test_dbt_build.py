"""The real `dbt build` on a temporary DuckDB: a first day, then the next day.

Landing data comes from tests/integration/dbt_fixtures.py (records shaped per
docs/contracts.md, with duplicates across and within runs). Two builds per
module: day 300 from scratch, then day 301 after an overlapping incremental load.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_fixtures import TABLES, LandingWriter, LoadedDay, default_shop, load_day

from glueflake.transform import BuildSummary, DbtFailure, DbtSettings, build

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("dbt")]

PROJECT_DIR = Path(__file__).resolve().parents[2]
FIRST_DAY = 300
SCALE = 2_000


@dataclass
class Scenario:
    """Everything the two builds produced, for the tests to inspect."""

    db_path: Path
    settings: DbtSettings
    first_load: LoadedDay
    second_load: LoadedDay
    first: BuildSummary
    second: BuildSummary
    after_first: dict[str, Any]


def _query(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _scalar(db_path: Path, sql: str) -> Any:
    return _query(db_path, sql)[0][0]


def _latest_by_id(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    latest: dict[int, dict[str, Any]] = {}
    for record in records:
        seen = latest.get(record["id"])
        if seen is None or record["updated_at"] >= seen["updated_at"]:
            latest[record["id"]] = record
    return latest


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("dbt_build")
    db_path = root / "warehouse.duckdb"
    settings = DbtSettings(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target="dev",
        duckdb_path=db_path,
        target_path=root / "target",
        log_path=root / "logs",
        threads=2,
    )
    writer = LandingWriter(db_path)
    shop = default_shop(scale=SCALE, reference_day=FIRST_DAY)
    start = datetime.now(UTC) - timedelta(hours=1)

    first_load = load_day(writer, shop, FIRST_DAY, loaded_at=start)
    first = build(settings, progress=False)
    after_first = {
        "orders": dict(_query(db_path, "select order_id, status from dev_transform.int_orders")),
        "order_count": _scalar(db_path, "select count(*) from dev_transform.int_orders"),
        "line_count": _scalar(db_path, "select count(*) from dev_transform.int_order_lines"),
        "customer_versions": _scalar(db_path, "select count(*) from dev_mart.dim_customers"),
    }

    second_load = load_day(
        writer, shop, FIRST_DAY + 1, previous_day=FIRST_DAY, loaded_at=start + timedelta(minutes=30)
    )
    second = build(settings, progress=False)
    yield Scenario(db_path, settings, first_load, second_load, first, second, after_first)


def test_first_build_passes_every_test(scenario: Scenario) -> None:
    summary = scenario.first
    assert summary.ok, summary.headline()
    assert summary.failed_nodes == ()
    assert summary.models.passed == summary.models.total >= 15
    assert summary.snapshots.passed == 2
    assert summary.seeds.passed == 2
    assert summary.tests.total > 100
    assert summary.tests.failed == 0
    # Unit tests ran as part of the build.
    assert sum(1 for n in summary.nodes if n.resource_type == "unit_test") >= 3


def test_raw_models_deduplicate_to_one_row_per_key(scenario: Scenario) -> None:
    orders = scenario.first_load.records["shop__orders"]
    distinct = len({o["id"] for o in orders})
    assert len(orders) > distinct, "the fixture should have written duplicate orders"
    assert scenario.first.raw_rows[("shop", "orders")] == distinct
    assert scenario.first.raw_rows[("shop", "customers")] == len(
        {c["id"] for c in scenario.first_load.records["shop__customers"]}
    )
    assert scenario.first.raw_rows[("restcountries", "countries")] == len(
        {c["cca3"] for c in scenario.first_load.records["restcountries__countries"]}
    )


def test_outer_flatten_keeps_countries_without_currency_or_capital(scenario: Scenario) -> None:
    countries = scenario.first_load.records["restcountries__countries"]
    no_currency = sorted(c["cca3"] for c in countries if not c.get("currencies"))
    assert no_currency, "the data should hold a country without currency (Antarctica)"
    rows = _query(
        scenario.db_path,
        "select country_code, currency_code from dev_transform.int_country_currencies "
        "where currency_code is null order by country_code",
    )
    assert rows == [(code, None) for code in no_currency]
    no_capital = {c["cca3"] for c in countries if not c.get("capital")}
    kept = _scalar(
        scenario.db_path,
        "select count(*) from dev_mart.dim_countries where capital is null",
    )
    assert kept == len(no_capital)
    multi = {c["cca3"]: sorted(c["continents"]) for c in countries if len(c["continents"]) > 1}
    assert multi, "the data should hold a country on several continents"
    code, expected = next(iter(sorted(multi.items())))
    continents = _query(
        scenario.db_path,
        "select continent from dev_mart.country_details_by_continent "
        f"where country_code = '{code}' order by continent",
    )
    assert [c for (c,) in continents] == expected


def test_second_build_adds_new_orders_and_updates_changed_ones(scenario: Scenario) -> None:
    db = scenario.db_path
    assert scenario.second.ok, scenario.second.headline()
    all_orders = _latest_by_id(
        scenario.first_load.records["shop__orders"] + scenario.second_load.records["shop__orders"]
    )
    count = _scalar(db, "select count(*) from dev_transform.int_orders")
    distinct = _scalar(db, "select count(distinct order_id) from dev_transform.int_orders")
    assert count == distinct == len(all_orders)
    assert count > scenario.after_first["order_count"]

    statuses = dict(_query(db, "select order_id, status from dev_transform.int_orders"))
    changed = [
        order_id
        for order_id, status in scenario.after_first["orders"].items()
        if all_orders[order_id]["status"] != status
    ]
    assert changed, "day 301 should move some orders to a new status"
    for order_id in changed:
        assert statuses[order_id] == all_orders[order_id]["status"]

    lines = _scalar(db, "select count(*) from dev_transform.int_order_lines")
    assert lines == sum(len(o["items"]) for o in all_orders.values())
    assert lines > scenario.after_first["line_count"]


def test_second_build_runs_incremental_models_incrementally(scenario: Scenario) -> None:
    # The second load carried only the overlapping window, far fewer orders than exist.
    window = {o["id"] for o in scenario.second_load.records["shop__orders"]}
    assert 0 < len(window) < scenario.after_first["order_count"] / 4
    assert scenario.second.node("int_orders").status == "pass"
    assert scenario.second.rows["int_orders"] == len(
        _latest_by_id(
            scenario.first_load.records["shop__orders"]
            + scenario.second_load.records["shop__orders"]
        )
    )


def test_snapshot_closes_and_opens_versions_for_changed_customers(scenario: Scenario) -> None:
    db = scenario.db_path
    first = _latest_by_id(scenario.first_load.records["shop__customers"])
    latest = _latest_by_id(
        scenario.first_load.records["shop__customers"]
        + scenario.second_load.records["shop__customers"]
    )
    changed = sorted(i for i in latest if latest[i]["updated_at"] != first[i]["updated_at"])
    assert changed, "day 301 should change some customers"

    versions = _scalar(db, "select count(*) from dev_mart.dim_customers")
    assert versions == scenario.after_first["customer_versions"] + len(changed)
    for customer_id in changed:
        rows = _query(
            db,
            "select tier, country_code_2, valid_from, valid_to, is_current "
            f"from dev_mart.dim_customers where customer_id = {customer_id} order by valid_from",
        )
        assert len(rows) == 2
        old, new = rows
        assert old[4] is False and new[4] is True
        assert old[3] == new[2], "the old version closes when the new one opens"
        assert (new[0], new[1]) == (
            latest[customer_id]["tier"],
            latest[customer_id]["country_code"],
        )
        assert (old[0], old[1]) == (first[customer_id]["tier"], first[customer_id]["country_code"])
    current = _scalar(db, "select count(*) from dev_mart.dim_customers where is_current")
    assert current == len(latest)


def test_landing_duplicates_reconcile_after_both_loads(scenario: Scenario) -> None:
    db = scenario.db_path
    for table in TABLES:
        landing = _scalar(db, f"select count(*) from landing.{table}")
        raw = _scalar(db, f"select count(*) from dev_raw.raw_{table}")
        assert landing > raw
    assert scenario.second.node("assert_landing_reconciles_with_raw").status == "pass"


def test_failed_test_raises_dbt_failure_naming_it(scenario: Scenario, tmp_path: Path) -> None:
    # Work on a copy so the shared warehouse stays intact.
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(scenario.db_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update dev_mart.fct_orders set revenue = revenue + 1 where order_id = 1")
    settings = scenario.settings.model_copy(
        update={"duckdb_path": copy, "target_path": tmp_path / "target"}
    )
    with pytest.raises(DbtFailure) as raised:
        build(settings, select="assert_orders_revenue_matches_order_lines", progress=False)
    failure = raised.value
    assert "assert_orders_revenue_matches_order_lines" in str(failure)
    assert [n.name for n in failure.failed] == ["assert_orders_revenue_matches_order_lines"]
    assert failure.summary is not None and failure.summary.tests.failed == 1
