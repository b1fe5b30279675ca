"""The incremental raw models equal a full rebuild, whatever order versions land in.

Landing rows are written straight into a DuckDB warehouse (the loader's columns,
`LANDING_COLUMNS`) from `SyntheticShop`, so each load's content and `_loaded_at` are
exactly what a test needs: day 0 is one load; day 1 is a second load in two files
holding the orders and customers that changed, new orders, re-sent copies of
unchanged versions (an overlapping window), copies tying a current version on
`updated_at`, OLDER versions of rows already built (a late, out-of-order
re-send), and new versions of built orders whose items were all removed (their
lines must go too). The real `dbt build` then runs three times: day 0 from
scratch, day 1 incrementally, and once more with nothing new. A copy of the
warehouse rebuilt with `--full-refresh` must equal the incremental one in every
column of every raw, transform and mart table.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_fixtures import PROJECT_DIR, SyntheticShop, day_start

from glueflake.load.duckdb.connection import LANDING_COLUMNS
from glueflake.transform import BuildSummary, DbtSettings, build

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("dbt")]

SHOP = SyntheticShop(seed=11, scale=600, reference_day=300)
DAY0, DAY1 = 300, 301
LOADED_0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
LOADED_1 = LOADED_0 + timedelta(days=1)
SCHEMAS = ("dev_raw", "dev_transform", "dev_mart")

# Orders built on day 0 that day 1 re-sends as they were (duplicates), and orders
# whose day-1 copy is an OLDER version than the one built on day 0.
RESENT_ORDERS = (3, 4, 5)
OLDER_ORDERS = (10, 20, 30)
OLDER_CUSTOMER = 7
# Orders built on day 0 whose day-1 version has no items: `[]`, and no `items` at all.
EMPTIED_ORDERS = (40, 50)

Record = dict[str, Any]


@dataclass
class Scenario:
    """Warehouses after each build, and what the builds reported."""

    incremental_db: Path
    full_refresh_db: Path
    after_day0: dict[str, list[tuple[Any, ...]]]
    after_rerun: dict[str, list[tuple[Any, ...]]]
    before_rerun: dict[str, list[tuple[Any, ...]]]
    day1: BuildSummary
    landing_rows: dict[str, int]


def _land(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: list[tuple[str, list[Record]]],
    loaded_at: datetime,
) -> None:
    """Insert each file's records as the loader would: one load, one `_loaded_at`."""
    for file_name, records in files:
        con.executemany(
            f"insert into landing.{table} values (?, ?, ?, ?, ?, ?)",
            [
                (json.dumps(r), file_name, line, loaded_at, f"run-{loaded_at:%d}", loaded_at)
                for line, r in enumerate(records, start=1)
            ],
        )


def _older_order(order_id: int) -> Record:
    """A version of the order that is older than the one served on day 0."""
    current = SHOP.order(order_id, DAY0)
    assert current is not None
    older = dict(current, status="placed")
    older["updated_at"] = "2000-01-01T00:00:00Z"
    return older


def _emptied_order(order_id: int) -> Record:
    """A later version of the day-0 order with every item removed."""
    current = SHOP.order(order_id, DAY0)
    assert current is not None and current["items"]
    emptied = dict(current, items=[])
    if order_id == EMPTIED_ORDERS[-1]:
        del emptied["items"]
    emptied["updated_at"] = f"{day_start(DAY1) + timedelta(hours=12):%Y-%m-%dT%H:%M:%SZ}"
    return emptied


def _day0(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema landing")
    for table in ("restcountries__countries", "shop__customers", "shop__orders"):
        con.execute(f"create table landing.{table} ({', '.join(LANDING_COLUMNS)})")
    _land(con, "restcountries__countries", [("countries-0", SHOP.countries(DAY0))], LOADED_0)
    _land(con, "shop__customers", [("customers-0", SHOP.customers(DAY0))], LOADED_0)
    orders = SHOP.orders(DAY0)
    # The first load already holds duplicates (a re-sent page), one of them in a later file.
    _land(con, "shop__orders", [("orders-0a", orders), ("orders-0b", orders[:5])], LOADED_0)


def _day1(con: duckdb.DuckDBPyConnection) -> None:
    since = day_start(DAY1)
    changed = SHOP.orders(DAY1, since)
    assert changed, "day 1 should bring new and changed orders"
    resent = [o for i in RESENT_ORDERS if (o := SHOP.order(i, DAY0)) is not None]
    older = [_older_order(i) for i in OLDER_ORDERS]
    assert not {o["id"] for o in changed} & set(EMPTIED_ORDERS)
    emptied = [_emptied_order(i) for i in EMPTIED_ORDERS]
    # A second copy of a changed order in a later file ties on updated_at and load
    # time: the later file wins, in either build.
    tie = dict(changed[0], status="shipped")
    _land(
        con,
        "shop__orders",
        [("orders-1a", changed + resent), ("orders-1b", [*older, tie, *emptied])],
        LOADED_1,
    )
    old_customer = dict(SHOP.customer(OLDER_CUSTOMER, DAY0), tier="bronze")
    old_customer["updated_at"] = "2000-01-01T00:00:00Z"
    customers = [*SHOP.customers(DAY1, since), old_customer]
    _land(con, "shop__customers", [("customers-1", customers)], LOADED_1)


def _settings(db: Path, root: Path, *, full_refresh: bool = False) -> DbtSettings:
    return DbtSettings(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target="dev",
        duckdb_path=db,
        full_refresh=full_refresh,
        target_path=root / "dbt_target",
        log_path=root / "dbt_logs",
    )


def _tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            f"where schema_name in {SCHEMAS} order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def _contents(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every raw, transform and mart table, sorted."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
            for table in _tables(db)
        }


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("dbt_incremental_raw")
    db = root / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        _day0(con)
    build(_settings(db, root), progress=False)
    after_day0 = _contents(db)
    with duckdb.connect(str(db)) as con:
        _day1(con)
        landing_rows = {
            table: int(con.execute(f"select count(*) from landing.{table}").fetchone()[0])
            for table in ("shop__customers", "shop__orders")
        }
    day1 = build(_settings(db, root), progress=False)
    before_rerun = _contents(db)

    full = root / "full_refresh.duckdb"
    shutil.copy(db, full)
    build(_settings(full, root / "full", full_refresh=True), progress=False)

    build(_settings(db, root), progress=False)  # nothing landed since the last build
    yield Scenario(
        incremental_db=db,
        full_refresh_db=full,
        after_day0=after_day0,
        after_rerun=_contents(db),
        before_rerun=before_rerun,
        day1=day1,
        landing_rows=landing_rows,
    )


def test_incremental_build_equals_full_refresh_in_every_column(scenario: Scenario) -> None:
    incremental = scenario.before_rerun
    full = _contents(scenario.full_refresh_db)
    assert set(incremental) == set(full)
    assert {"dev_raw.raw_shop__orders", "dev_mart.fct_orders"} <= set(incremental)
    for table in sorted(full):
        assert incremental[table] == full[table], f"{table} differs from a full rebuild"


def test_raw_models_build_incrementally_on_day1(scenario: Scenario) -> None:
    for name in ("raw_shop__orders", "raw_shop__customers"):
        assert scenario.day1.node(name).status == "pass"
    target = scenario.incremental_db.parent / "dbt_target"
    model = Path("glueflake", "models", "raw", "raw_shop__orders.sql")
    compiled = (target / "compiled" / model).read_text()
    executed = (target / "run" / model).read_text()
    # Only rows past the high-water mark are read, and they are merged in.
    assert "max(this_build._last_loaded_at)" in compiled
    assert "merge into" in executed.lower()


def test_versions_seen_count_every_landing_copy(scenario: Scenario) -> None:
    db = scenario.incremental_db
    for table in ("shop__orders", "shop__customers"):
        model = f"raw_{table}"
        seen = _query(db, f"select sum(_versions_seen) from dev_raw.{model}")[0][0]
        assert seen == scenario.landing_rows[table]
    resent = _query(
        db,
        "select order_id, _versions_seen, _loaded_at, _last_loaded_at "
        f"from dev_raw.raw_shop__orders where order_id in {RESENT_ORDERS} order by order_id",
    )
    # Copies: day 0's file a, day 0's file b (the first five orders), day 1's re-send.
    assert [r[1] for r in resent] == [3, 3, 3]
    assert all(r[3] == LOADED_1.replace(tzinfo=None) for r in resent)
    # The re-sent copy ties on updated_at and loaded later, so it is the kept one.
    assert all(r[2] == LOADED_1.replace(tzinfo=None) for r in resent)


def test_older_version_landing_later_does_not_replace_newer(scenario: Scenario) -> None:
    db = scenario.incremental_db
    day0 = {
        r[0]: r for r in scenario.after_day0["dev_raw.raw_shop__orders"] if r[0] in OLDER_ORDERS
    }
    rows = _query(
        db,
        "select order_id, status, updated_at, _loaded_at, _versions_seen, _last_loaded_at "
        f"from dev_raw.raw_shop__orders where order_id in {OLDER_ORDERS} order by order_id",
    )
    for order_id, status, updated_at, loaded_at, versions_seen, last_loaded_at in rows:
        assert updated_at.year > 2000, order_id
        assert loaded_at == LOADED_0.replace(tzinfo=None), "the day-0 version is kept"
        assert last_loaded_at == LOADED_1.replace(tzinfo=None), "yet the late copy is counted"
        assert versions_seen == 2
        assert day0[order_id][2] == status
    statuses = dict(
        _query(
            db,
            f"select order_id, status from dev_mart.fct_orders where order_id in {OLDER_ORDERS}",
        )
    )
    assert statuses == {i: day0[i][2] for i in OLDER_ORDERS}
    customer = _query(
        db,
        "select tier, updated_at, _versions_seen from dev_raw.raw_shop__customers "
        f"where customer_id = {OLDER_CUSTOMER}",
    )
    changed_on_day1 = any(c["id"] == OLDER_CUSTOMER for c in SHOP.customers(DAY1, day_start(DAY1)))
    tier, updated_at, versions_seen = customer[0]
    assert tier == SHOP.customer(OLDER_CUSTOMER, DAY1)["tier"] and updated_at.year > 2000
    assert versions_seen == 2 + changed_on_day1


def test_orders_whose_new_version_has_no_items_lose_their_lines(scenario: Scenario) -> None:
    # delete+insert on order_id only deletes the orders present in the new batch, and
    # an order without items brings no line: its day-0 lines must still be removed.
    day0_lines = scenario.after_day0["dev_transform.int_order_lines"]
    assert set(EMPTIED_ORDERS) <= {line[1] for line in day0_lines}
    db = scenario.incremental_db
    in_emptied = f"where order_id in {EMPTIED_ORDERS} order by order_id"
    item_counts = _query(
        db, f"select order_id, item_count from dev_raw.raw_shop__orders {in_emptied}"
    )
    # empty and missing items are the same "none": no line (raw/_raw__models.yml)
    assert item_counts == [(EMPTIED_ORDERS[0], 0), (EMPTIED_ORDERS[1], 0)]
    lines = _query(db, f"select order_line_id from dev_transform.int_order_lines {in_emptied}")
    assert lines == []
    facts = _query(
        db,
        "select order_id, line_count, item_quantity, revenue, revenue_usd "
        f"from dev_mart.fct_orders {in_emptied}",
    )
    assert facts == [(i, 0, 0, 0, 0) for i in EMPTIED_ORDERS]


def test_rebuild_with_nothing_new_changes_nothing(scenario: Scenario) -> None:
    assert scenario.after_rerun == scenario.before_rerun


def test_an_incremental_model_first_built_empty_fills_up(tmp_path: Path) -> None:
    # A first run finds no orders (the API had none yet; `dbt run`, or a build without
    # the not_empty test that would stop it); the next build must take everything
    # that landed since, not compare against the empty model's null max and take nothing.
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        _day0(con)
        con.execute("delete from landing.shop__orders")
    build(_settings(db, tmp_path), exclude="resource_type:test", progress=False)
    assert _query(db, "select count(*) from dev_transform.int_orders") == [(0,)]
    with duckdb.connect(str(db)) as con:
        _land(con, "shop__orders", [("orders-1", SHOP.orders(DAY0))], LOADED_1)
    build(_settings(db, tmp_path), progress=False)
    built = _query(db, "select count(*), count(distinct order_id) from dev_transform.int_orders")
    assert built == [(len(SHOP.orders(DAY0)), len(SHOP.orders(DAY0)))]
    assert _query(db, "select count(*) > 0 from dev_transform.int_order_lines") == [(True,)]
