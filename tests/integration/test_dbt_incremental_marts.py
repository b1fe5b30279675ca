"""The incremental marts equal a full rebuild after hostile order changes.

fct_orders merges only the orders whose version changed, and fct_daily_sales
recomputes only the (order_date, continent, country_code, currency_code) groups
that the changed orders counted in before or count in now. The hard part is the
group an order LEFT: here orders are moved to another day, another shipping country
and another currency, cancelled, emptied of their items, and new and re-delivered
unchanged orders arrive, all through the real path: gzip NDJSON files committed to
a local lake, the DuckDB loader, then glueflake's dbt build. A small shop (about
six orders a day) makes most groups hold one order, so an order that leaves a group
usually empties it: the group must then disappear.

After each incremental build, a copy of the warehouse rebuilt with
``--full-refresh`` must hold the same rows in every mart table (EXCEPT ALL, both
ways, is empty). A second round builds fct_orders alone (fct_daily_sales not run,
as after a selection or a failure), lands more changes, then builds everything: the
groups recorded by both rounds are recomputed.

The Snowflake tier (fakesnow) cannot run this: a second incremental build creates a
TEMPORARY table that fakesnow 0.11 refuses (see test_snowflake_dbt.py's xfails);
the named skip below says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_fixtures import SyntheticShop, day_start
from snowflake_fixtures import Commit, write_commit
from test_dbt_incremental_raw import _settings  # the dev target on a given DuckDB file

from glueflake.config import DuckDBWarehouse, Endpoint, Lake, PipelineConfig, Source
from glueflake.lake import LocalStore
from glueflake.load import run_load
from glueflake.transform import BuildSummary, build

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("dbt")]

DAY = 300
SHOP = SyntheticShop(seed=5, scale=2_000, reference_day=DAY)
MARTS = ("fct_orders", "fct_daily_sales")
WAREHOUSE = "warehouse.duckdb"
GROUP = "order_date, continent, country_code, currency_code"

# Day-0 orders the first round changes, and how (see _round1); the three that leave
# their group are picked alone in it (see _alone), so their old group must vanish.
CANCELLED, EMPTIED, RESENT = 404, 505, 606
# The second round moves the day-moved order again, then this one (day and currency).
MOVED_LATER = 707

Record = dict[str, Any]


@dataclass
class Round:
    """The incremental warehouse after a round, and a full-refresh copy of it."""

    incremental_db: Path
    full_refresh_db: Path
    summary: BuildSummary


@dataclass
class Scenario:
    """Group keys of fct_daily_sales after each build, and each round's warehouses."""

    day0_groups: set[tuple[Any, ...]]
    round1: Round
    round2: Round
    fct_orders_only: BuildSummary


def _config(root: Path) -> PipelineConfig:
    return PipelineConfig(
        lake=Lake(url=str(root / "lake")),
        warehouse=DuckDBWarehouse(path=str(root / WAREHOUSE)),
        sources={
            "restcountries": Source(
                base_url="demo",
                endpoints={"countries": Endpoint(path="/v3.1/all", primary_key="cca3")},
            ),
            "shop": Source(
                base_url="demo",
                endpoints={
                    name: Endpoint(path=f"/api/{name}", primary_key="id")
                    for name in ("customers", "orders")
                },
            ),
        },
        base_dir=root,
    )


def _later(record: Record, hour: int, **fields: Any) -> Record:
    """`record` with `fields` changed, as a version updated on day+1 at `hour`."""
    updated = day_start(DAY + 1) + timedelta(hours=hour)
    return dict(record, **fields, updated_at=f"{updated:%Y-%m-%dT%H:%M:%SZ}")


def _day0(order_id: int) -> Record:
    current = SHOP.order(order_id, DAY)
    assert current is not None
    return current


def _group(record: Record) -> tuple[str, str, str]:
    return record["created_at"][:10], record["shipping_country"], record["currency"]


def _alone(start: int) -> int:
    """The first day-0 order from `start` on that is the only one in its group."""
    counts: dict[tuple[str, str, str], int] = {}
    for record in SHOP.orders(DAY):
        counts[_group(record)] = counts.get(_group(record), 0) + 1
    return next(i for i in range(start, 2 * start) if counts[_group(_day0(i))] == 1)


MOVED_DAY, MOVED_COUNTRY, MOVED_CURRENCY = _alone(101), _alone(202), _alone(303)


def _days_earlier(record: Record, days: int) -> str:
    created = datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    return f"{created - timedelta(days=days):%Y-%m-%dT%H:%M:%SZ}"


def _round1() -> list[Record]:
    """New versions of day-0 orders, a brand-new order and a re-delivered one."""
    # Another shipping country; the order keeps its currency (a field of its own).
    country = "FR" if _day0(MOVED_COUNTRY)["shipping_country"] == "DE" else "DE"
    currency = _day0(MOVED_CURRENCY)["currency"]
    brand_new = _later(
        _day0(RESENT),
        2,
        id=len(SHOP.orders(DAY)) + 1_000,
        status="placed",
        created_at=f"{day_start(DAY + 1) + timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
    )
    return [
        _later(_day0(MOVED_DAY), 1, created_at=_days_earlier(_day0(MOVED_DAY), 3)),
        _later(_day0(MOVED_COUNTRY), 1, shipping_country=country),
        _later(_day0(MOVED_CURRENCY), 1, currency="JPY" if currency != "JPY" else "USD"),
        _later(_day0(CANCELLED), 1, status="cancelled"),
        _later(_day0(EMPTIED), 1, items=[]),
        brand_new,
        _day0(RESENT),  # re-delivered unchanged: the same version again
    ]


def _round2() -> list[Record]:
    """The day-moved order moves again (fct_orders alone builds it), then another."""
    moved = _round1()[0]
    return [
        _later(moved, 5, created_at=_days_earlier(moved, 40)),
        _later(
            _day0(MOVED_LATER), 6, created_at=_days_earlier(_day0(MOVED_LATER), 1), currency="CHF"
        ),
    ]


def _commit(store: LocalStore, source: str, entity: str, run: str, *files: list[Record]) -> None:
    write_commit(
        store,
        Commit(source, entity, f"20261128T{run}Z-abcdef", tuple(tuple(f) for f in files)),
    )


def _load(config: PipelineConfig) -> None:
    result = run_load(config)
    assert not result.aborted


def _groups(db: Path) -> set[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return set(con.execute(f"select {GROUP} from dev_mart.fct_daily_sales").fetchall())


def _round(root: Path, name: str) -> Round:
    db = root / WAREHOUSE
    summary = build(_settings(db, root), progress=False)
    full = root / f"{name}_full_refresh.duckdb"
    shutil.copy(db, full)
    build(_settings(full, root / f"{name}_full", full_refresh=True), progress=False)
    kept = root / f"{name}_incremental.duckdb"
    shutil.copy(db, kept)
    return Round(kept, full, summary)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("dbt_incremental_marts")
    config = _config(root)
    store = LocalStore(root / "lake")
    db = root / WAREHOUSE
    _commit(store, "restcountries", "countries", "100000", SHOP.countries(DAY))
    _commit(store, "shop", "customers", "100000", SHOP.customers(DAY))
    orders = SHOP.orders(DAY)
    _commit(store, "shop", "orders", "100000", orders[:1_000], orders[1_000:])
    _load(config)
    build(_settings(db, root), progress=False)
    day0_groups = _groups(db)

    _commit(store, "shop", "orders", "110000", _round1())
    _load(config)
    round1 = _round(root, "round1")

    # fct_orders alone: its recorded groups wait for the next fct_daily_sales build.
    _commit(store, "shop", "orders", "120000", _round2()[:1])
    _load(config)
    fct_orders_only = build(_settings(db, root), select="+fct_orders", progress=False)
    _commit(store, "shop", "orders", "130000", _round2()[1:])
    _load(config)
    round2 = _round(root, "round2")
    yield Scenario(day0_groups, round1, round2, fct_orders_only)


def _except_all(db: Path, other: Path, table: str) -> tuple[int, int]:
    """Rows of `table` in db and not in other, and the reverse (multiset difference)."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach '{other}' as other (read_only)")
        mine, theirs = f"dev_mart.{table}", f"other.dev_mart.{table}"
        extra = con.execute(f"select count(*) from (from {mine} except all from {theirs})")
        n_extra = int(extra.fetchone()[0])  # type: ignore[index]
        missing = con.execute(f"select count(*) from (from {theirs} except all from {mine})")
        return n_extra, int(missing.fetchone()[0])  # type: ignore[index]


def _mart_tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'dev_mart' order by 1"
        ).fetchall()
    return [r[0] for r in rows]


def _assert_equals_full_refresh(built: Round) -> None:
    tables = _mart_tables(built.incremental_db)
    assert set(MARTS) <= set(tables)
    assert tables == _mart_tables(built.full_refresh_db)
    for table in tables:
        assert _except_all(built.incremental_db, built.full_refresh_db, table) == (0, 0), table


def test_round1_marts_equal_a_full_rebuild(scenario: Scenario) -> None:
    assert scenario.round1.summary.success
    _assert_equals_full_refresh(scenario.round1)


def test_round2_catches_up_the_groups_recorded_while_daily_sales_did_not_run(
    scenario: Scenario,
) -> None:
    built = {n.name for n in scenario.fct_orders_only.nodes if n.resource_type == "model"}
    assert "fct_orders" in built and "fct_daily_sales" not in built
    _assert_equals_full_refresh(scenario.round2)


def test_the_marts_were_built_incrementally(scenario: Scenario) -> None:
    with duckdb.connect(str(scenario.round1.incremental_db), read_only=True) as con:
        pending = con.execute("select count(*) from dev_mart.fct_daily_sales__pending")
        assert pending.fetchone() == (0,), "every recorded group was built"
    target = scenario.round2.incremental_db.parent / "dbt_target" / "run"
    mart = target / "glueflake" / "models" / "mart"
    assert "merge into" in (mart / "fct_orders.sql").read_text().lower()
    daily = (mart / "fct_daily_sales.sql").read_text().lower()
    assert "insert into" in daily and "create table" not in daily


def test_groups_an_order_left_disappear(scenario: Scenario) -> None:
    # Each order that moved to another day, country or currency was alone in its
    # day-0 group: the group is gone, as in a full rebuild.
    after = _groups(scenario.round1.incremental_db)
    with duckdb.connect(str(scenario.round1.full_refresh_db), read_only=True) as con:
        continents = dict(
            con.execute(
                "select country_code_2, primary_continent from dev_mart.dim_countries"
            ).fetchall()
        )
        codes = dict(
            con.execute(
                "select country_code_2, country_code from dev_mart.dim_countries"
            ).fetchall()
        )
    for order_id in (MOVED_DAY, MOVED_COUNTRY, MOVED_CURRENCY):
        day, country, currency = _group(_day0(order_id))
        old = (date.fromisoformat(day), continents[country], codes[country], currency)
        assert old in scenario.day0_groups, order_id
        assert old not in after, f"order {order_id} left {old}, which is still there"


def test_each_hostile_change_reached_fct_orders(scenario: Scenario) -> None:
    with duckdb.connect(str(scenario.round1.incremental_db), read_only=True) as con:
        rows = con.execute(
            "select order_id, order_date, shipping_country_code_2, currency_code, status, "
            "line_count from dev_mart.fct_orders where order_id in "
            f"{(MOVED_DAY, MOVED_COUNTRY, MOVED_CURRENCY, CANCELLED, EMPTIED)} order by 1"
        ).fetchall()
    by_id = {r[0]: r for r in rows}
    assert str(by_id[MOVED_DAY][1]) != _day0(MOVED_DAY)["created_at"][:10]
    assert by_id[MOVED_COUNTRY][2] != _day0(MOVED_COUNTRY)["shipping_country"]
    assert by_id[MOVED_CURRENCY][3] != _day0(MOVED_CURRENCY)["currency"]
    assert by_id[CANCELLED][4] == "cancelled"
    assert by_id[EMPTIED][5] == 0


def test_on_fakesnow() -> None:
    pytest.skip(
        "fakesnow 0.11 cannot run a second incremental build: dbt-snowflake's merge and "
        "append create a TEMPORARY table it refuses ('TEMPORARY table names can only use "
        "the temp catalog', test_snowflake_dbt.py's xfail test_second_incremental_run); "
        "the first build of both marts and their hooks runs there in "
        "test_every_model_builds_and_tests_pass_on_fakesnow"
    )
