"""The real `dbt build` after a real extract and load from the demo API over HTTP.

One pipeline (tests/integration/dbt_fixtures.py: a tmp lake and DuckDB, the repo's
dbt project, the demo API at seed 42, scale 1,500) runs three times in this module:
day 10 from scratch, day 11 (an incremental extract of what changed), and day 11
again (nothing new). A fourth dbt invocation checks that a failing data test is
reported by name. The expectations come from the demo API's own data functions.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from dbt_fixtures import (
    ENTITIES,
    PRIMARY_KEYS,
    for_day,
    manifest_records,
    query,
    scalar,
)

from glueflake.config import PipelineConfig, load_config
from glueflake.demo_api import DemoSettings, countries, iter_customers, iter_orders
from glueflake.demo_api.clock import day_end, iso
from glueflake.extract import read_bookmark
from glueflake.lake import LocalStore
from glueflake.pipeline import RunResult, dbt_settings, run_pipeline
from glueflake.transform import DbtFailure, build

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("dbt")]

SEED, SCALE, FIRST_DAY = 42, 1_500, 10
NEXT_DAY = FIRST_DAY + 1

Record = dict[str, Any]


@dataclass
class Observed:
    """What the warehouse held right after one run."""

    landing: dict[tuple[str, str], int]
    distinct_keys: dict[tuple[str, str], int]
    manifest_records: dict[tuple[str, str], int]
    orders: dict[int, str]
    order_lines: int
    customer_versions: int
    snap_customers: list[tuple[Any, ...]]


@dataclass
class Scenario:
    """The three runs of one pipeline and what each left behind."""

    config: PipelineConfig
    db_path: Path
    first: RunResult
    second: RunResult
    rerun: RunResult
    after_first: Observed
    after_second: Observed
    after_rerun: Observed
    second_int_orders_sql: str


def _settings(day: int) -> DemoSettings:
    return DemoSettings(seed=SEED, scale=SCALE, day=day)


def _changed_on(day: int) -> tuple[dict[int, Record], dict[int, Record]]:
    """Customers and orders the demo API changed (or created) on ``day``."""
    since = iso(day_end(day - 1))
    return (
        {c["id"]: c for c in iter_customers(_settings(day), since)},
        {o["id"]: o for o in iter_orders(_settings(day), since)},
    )


def _observe(config: PipelineConfig, db: Path) -> Observed:
    store = LocalStore(config.resolve_path(config.lake.url))
    landing, distinct, committed = {}, {}, {}
    for source, entity in ENTITIES:
        table = f"landing.{source}__{entity}"
        key = PRIMARY_KEYS[entity]
        landing[(source, entity)] = scalar(db, f"select count(*) from {table}")
        distinct[(source, entity)] = scalar(
            db, f"select count(distinct record->>'{key}') from {table}"
        )
        committed[(source, entity)] = manifest_records(store, source, entity)
    return Observed(
        landing=landing,
        distinct_keys=distinct,
        manifest_records=committed,
        orders=dict(query(db, "select order_id, status from dev_transform.int_orders")),
        order_lines=scalar(db, "select count(*) from dev_transform.int_order_lines"),
        customer_versions=scalar(db, "select count(*) from dev_mart.dim_customers"),
        snap_customers=query(
            db,
            "select customer_id, tier, dbt_valid_from, dbt_valid_to "
            "from dev_snapshots.snap_customers order by customer_id, dbt_valid_from",
        ),
    )


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, demo_config: DemoConfig
) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("pipeline_dbt")
    config = load_config(demo_config.write(root, seed=SEED, scale=SCALE, day=FIRST_DAY))
    db = config.resolve_path("warehouse.duckdb")
    assert db == root / "warehouse.duckdb"

    first = run_pipeline(config, progress=False)
    after_first = _observe(config, db)
    # Whole builds (build_all): these tests check every model after each run, and the
    # rerun that a whole build with nothing new changes nothing. Building only what
    # changed is test_run_changed_only's.
    second = run_pipeline(for_day(config, NEXT_DAY), progress=False, build_all=True)
    after_second = _observe(config, db)
    compiled = dbt_settings(config).resolved_target_path / "compiled"
    second_sql = next(compiled.rglob("int_orders.sql")).read_text()
    rerun = run_pipeline(for_day(config, NEXT_DAY), progress=False, build_all=True)
    after_rerun = _observe(config, db)
    yield Scenario(
        config,
        db,
        first,
        second,
        rerun,
        after_first,
        after_second,
        after_rerun,
        second_sql,
    )


def test_first_run_builds_and_passes_every_test(scenario: Scenario) -> None:
    result = scenario.first
    assert result.ok, result.error
    summary = result.build
    assert summary is not None and summary.ok, summary and summary.headline()
    assert summary.failed_nodes == ()
    assert summary.models.passed == summary.models.total >= 15
    assert summary.snapshots.passed == 2
    assert summary.seeds.passed == 2
    assert summary.tests.total > 100
    assert summary.tests.failed == summary.tests.warned == summary.tests.skipped == 0
    # Unit tests ran as part of the build.
    assert sum(1 for n in summary.nodes if n.resource_type == "unit_test") >= 3


def test_python_models_build_in_the_run_and_report_their_rows(scenario: Scenario) -> None:
    # customer_segments and daily_sales_anomalies are dbt Python models (pandas on
    # dbt-duckdb); they run inside glueflake's build and its summary counts their rows
    for result in (scenario.first, scenario.second, scenario.rerun):
        summary = result.build
        assert summary is not None
        assert summary.node("customer_segments").ok
        assert summary.rows["customer_segments"] > 0
        assert summary.rows["daily_sales_anomalies"] > 0
    customers = scalar(  # the warehouse as the last run left it
        scenario.db_path,
        "select count(distinct customer_id) from dev_mart.fct_orders where customer_id is not null",
    )
    assert scenario.rerun.build is not None
    assert scenario.rerun.build.rows["customer_segments"] == customers
    labels = query(
        scenario.db_path,
        "select segment, count(*) from dev_mart.customer_segments group by segment",
    )
    assert len(labels) >= 3  # the rules spread customers over several segments
    types = dict(
        query(
            scenario.db_path,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'dev_mart' and table_name = 'customer_segments'",
        )
    )
    assert types["customer_id"] == "BIGINT" and types["last_order_date"] == "DATE"


def test_dbt_output_stays_in_the_configured_folders(scenario: Scenario) -> None:
    settings = dbt_settings(scenario.config)
    assert (settings.resolved_target_path / "run_results.json").is_file()
    assert settings.resolved_target_path.is_relative_to(scenario.db_path.parent)
    assert settings.resolved_log_path.is_relative_to(scenario.db_path.parent)


def test_first_run_extracts_what_the_api_serves(scenario: Scenario) -> None:
    settings = _settings(FIRST_DAY)
    extract = scenario.first.extract
    assert extract.result("shop", "orders").records == sum(1 for _ in iter_orders(settings))
    assert extract.result("shop", "orders").records == SCALE + FIRST_DAY * SCALE // 150
    assert extract.result("shop", "orders").files > 1
    assert extract.result("shop", "customers").records == SCALE // 10
    assert extract.result("restcountries", "countries").records == len(countries(FIRST_DAY))


@pytest.mark.parametrize("run", ["first", "second", "rerun"])
def test_landing_rows_equal_committed_manifest_records(scenario: Scenario, run: str) -> None:
    observed: Observed = getattr(scenario, f"after_{run}")
    result: RunResult = getattr(scenario, run)
    assert observed.landing == observed.manifest_records
    assert result.status is not None
    for entity in result.status.entities:
        key = (entity.source, entity.entity)
        assert entity.lake_records == entity.landing_rows == observed.landing[key]
        assert entity.loaded_rows == observed.landing[key]
        assert entity.pending_files == entity.rejected_rows == 0


@pytest.mark.parametrize("run", ["first", "second", "rerun"])
def test_raw_rows_equal_distinct_keys_in_landing(scenario: Scenario, run: str) -> None:
    observed: Observed = getattr(scenario, f"after_{run}")
    result: RunResult = getattr(scenario, run)
    assert result.build is not None
    assert result.build.raw_rows == observed.distinct_keys


def test_raw_tables_hold_one_row_per_key(scenario: Scenario) -> None:
    for source, entity in ENTITIES:
        table = f"dev_raw.raw_{source}__{entity}"
        key = "country_code" if entity == "countries" else f"{entity.removesuffix('s')}_id"
        count, distinct = query(
            scenario.db_path, f"select count(*), count(distinct {key}) from {table}"
        )[0]
        assert count == distinct == scenario.after_rerun.distinct_keys[(source, entity)]


def test_raw_models_deduplicate_versions_from_both_days(scenario: Scenario) -> None:
    # Day 10 committed each record once; day 11 re-sent the orders and customers
    # that changed, so landing now holds two versions of those and raw one.
    for key in (("shop", "orders"), ("shop", "customers")):
        assert scenario.after_first.landing[key] == scenario.after_first.distinct_keys[key]
    orders = ("shop", "orders")
    assert scenario.after_second.landing[orders] > scenario.after_second.distinct_keys[orders]
    assert scenario.second.build is not None
    assert scenario.second.build.node("assert_landing_reconciles_with_raw").status == "pass"


def test_second_run_extracts_only_what_changed(scenario: Scenario) -> None:
    customers, orders = _changed_on(NEXT_DAY)
    assert customers and orders, "the demo API should change records every day"
    extract = scenario.second.extract
    assert extract.result("shop", "orders").records == len(orders)
    assert extract.result("shop", "customers").records == len(customers)
    assert extract.result("restcountries", "countries").skipped_unchanged

    store = LocalStore(scenario.config.resolve_path(scenario.config.lake.url))
    run_id = extract.run_id
    loaded = query(
        scenario.db_path,
        f"select record->>'id', record->>'updated_at', record->>'status' "
        f"from landing.shop__orders where _run_id = '{run_id}'",
    )
    assert {(int(i), u, s) for i, u, s in loaded} == {
        (o["id"], o["updated_at"], o["status"]) for o in orders.values()
    }
    assert scenario.after_second.manifest_records[("shop", "orders")] == (
        scenario.after_first.manifest_records[("shop", "orders")] + len(orders)
    )
    assert extract.result("shop", "orders").bookmark_after == max(
        o["updated_at"] for o in orders.values()
    )
    bookmark = read_bookmark(store, "shop", "orders")
    assert (
        bookmark is not None and bookmark.value == extract.result("shop", "orders").bookmark_after
    )

    load = scenario.second.load
    assert not load.nothing_to_load
    by_name = {e.name: e for e in load.entities}
    assert by_name["shop.orders"].rows_loaded == len(orders)
    assert by_name["shop.customers"].rows_loaded == len(customers)
    assert by_name["restcountries.countries"].rows_loaded == 0


def test_second_run_adds_new_orders_and_updates_changed_ones(scenario: Scenario) -> None:
    db = scenario.db_path
    result = scenario.second
    assert result.ok, result.error
    _, changed = _changed_on(NEXT_DAY)
    latest = {o["id"]: o for o in iter_orders(_settings(NEXT_DAY))}
    new_ids = set(latest) - set(scenario.after_first.orders)
    assert len(new_ids) == SCALE // 150
    assert new_ids <= set(changed)
    updated = {i for i in changed if i in scenario.after_first.orders}
    moved = {i for i in updated if scenario.after_first.orders[i] != latest[i]["status"]}
    assert moved, "day 11 should move some existing orders to a new status"

    for model in ("dev_transform.int_orders", "dev_mart.fct_orders"):
        count, distinct = query(db, f"select count(*), count(distinct order_id) from {model}")[0]
        assert count == distinct == len(latest), model
        statuses = dict(query(db, f"select order_id, status from {model}"))
        assert {i: statuses[i] for i in changed} == {i: changed[i]["status"] for i in changed}
        assert statuses == {i: o["status"] for i, o in latest.items()}, model

    lines, distinct_lines = query(
        db,
        "select count(*), count(distinct (order_id, line_number)) "
        "from dev_transform.int_order_lines",
    )[0]
    assert lines == distinct_lines == sum(len(o["items"]) for o in latest.values())
    assert lines > scenario.after_first.order_lines
    fct_lines = scalar(db, "select sum(line_count) from dev_mart.fct_orders")
    assert fct_lines == lines


def test_second_build_runs_the_order_models_incrementally(scenario: Scenario) -> None:
    # The compiled SQL of the day-11 build takes only rows loaded since the last one.
    assert "this_build._loaded_at" in scenario.second_int_orders_sql
    assert scenario.second.build is not None
    for name in ("int_orders", "int_order_lines"):
        assert scenario.second.build.node(name).status == "pass"
    assert scenario.second.build.rows["int_orders"] == len(scenario.after_second.orders)


def test_snapshot_closes_and_opens_versions_for_changed_customers(scenario: Scenario) -> None:
    db = scenario.db_path
    changed, _ = _changed_on(NEXT_DAY)
    assert changed, "day 11 should change some customers"
    before = {c["id"]: c for c in iter_customers(_settings(FIRST_DAY))}

    versions = scalar(db, "select count(*) from dev_mart.dim_customers")
    assert versions == scenario.after_first.customer_versions + len(changed)
    assert scenario.after_first.customer_versions == len(before)
    for customer_id, now in changed.items():
        snap = query(
            db,
            "select dbt_valid_from, dbt_valid_to from dev_snapshots.snap_customers "
            f"where customer_id = {customer_id} order by dbt_valid_from",
        )
        assert len(snap) == 2
        assert snap[0][1] is not None and snap[0][1] == snap[1][0]
        assert snap[1][1] is None
        rows = query(
            db,
            "select tier, country_code_2, valid_from, valid_to, is_current "
            f"from dev_mart.dim_customers where customer_id = {customer_id} order by valid_from",
        )
        old, new = rows
        assert old[4] is False and old[3] is not None
        assert new[4] is True and new[3] is None
        assert old[3] == new[2], "the old version closes when the new one opens"
        assert (new[0], new[1]) == (now["tier"], now["country_code"])
        was = before[customer_id]
        assert (old[0], old[1]) == (was["tier"], was["country_code"])

    # Customers that did not change keep their one open version.
    unchanged = scalar(
        db,
        "select count(*) from dev_mart.dim_customers where is_current and valid_to is null "
        f"and customer_id not in ({', '.join(map(str, changed))})",
    )
    assert unchanged == len(before) - len(changed)
    assert scalar(db, "select count(*) from dev_mart.dim_customers where is_current") == len(before)

    # The run reports the same history: one closed version per changed customer.
    assert scenario.first.build is not None and scenario.second.build is not None
    assert scenario.first.build.snapshot_history["snap_customers"] == (len(before), 0)
    assert scenario.second.build.snapshot_history["snap_customers"] == (
        len(before) + len(changed),
        len(changed),
    )


def test_rerun_on_the_same_day_loads_nothing_and_still_passes(scenario: Scenario) -> None:
    result = scenario.rerun
    assert result.ok, result.error
    assert result.extract.records == 0
    assert result.load.nothing_to_load
    assert result.load.rows_loaded == 0
    assert result.build is not None and result.build.ok
    assert result.build.tests.failed == 0
    after, before = scenario.after_rerun, scenario.after_second
    assert after.landing == before.landing
    assert after.orders == before.orders
    assert after.order_lines == before.order_lines
    assert after.customer_versions == before.customer_versions
    assert after.snap_customers == before.snap_customers


def test_outer_flatten_keeps_countries_without_currency_or_capital(scenario: Scenario) -> None:
    payload = countries(NEXT_DAY)
    no_currency = sorted(c["cca3"] for c in payload if not c.get("currencies"))
    assert no_currency, "the data should hold a country without currency (Antarctica)"
    rows = query(
        scenario.db_path,
        "select country_code, currency_code from dev_transform.int_country_currencies "
        "where currency_code is null order by country_code",
    )
    assert rows == [(code, None) for code in no_currency]
    no_capital = {c["cca3"] for c in payload if not c.get("capital")}
    kept = scalar(
        scenario.db_path, "select count(*) from dev_mart.dim_countries where capital is null"
    )
    assert kept == len(no_capital)
    multi = {c["cca3"]: sorted(c["continents"]) for c in payload if len(c["continents"]) > 1}
    assert multi, "the data should hold a country on several continents"
    code, expected = next(iter(sorted(multi.items())))
    continents = query(
        scenario.db_path,
        "select continent from dev_mart.country_details_by_continent "
        f"where country_code = '{code}' order by continent",
    )
    assert [c for (c,) in continents] == expected


def test_failed_test_raises_dbt_failure_naming_it(scenario: Scenario, tmp_path: Path) -> None:
    # Work on a copy so the shared warehouse stays intact.
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(scenario.db_path, copy)
    with duckdb.connect(str(copy)) as con:
        order_id = con.execute("select min(order_id) from dev_mart.fct_orders").fetchone()
        assert order_id is not None
        con.execute(
            "update dev_mart.fct_orders set revenue = revenue + 1 where order_id = ?", order_id
        )
    settings = dbt_settings(scenario.config).model_copy(update={"duckdb_path": copy})
    with pytest.raises(DbtFailure) as raised:
        build(settings, select="assert_orders_revenue_matches_order_lines", progress=False)
    failure = raised.value
    assert "assert_orders_revenue_matches_order_lines" in str(failure)
    assert [n.name for n in failure.failed] == ["assert_orders_revenue_matches_order_lines"]
    assert failure.summary is not None and failure.summary.tests.failed == 1
