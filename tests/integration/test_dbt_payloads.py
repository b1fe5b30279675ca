"""Real-world payloads through the real loader and `dbt build` on DuckDB.

One lake holds three changed payloads of the demo API's countries (the REST
Countries v3.1 shape: every key present, "none" as "", [] or {}) and the synthetic
shop's customers and orders. The latest countries payload carries type drift the
way real APIs do: France's population as text, its capital as a string instead of
a list, its continents as a string; one order's items as a string. The checks: a
raw model parses each record once (its compiled SQL), countries are read from the
latest payload only, drift is kept in `_rescued` and named (key and field) by the
`no_rescued_values` test, which warns on dev and fails on ci, the summary counts
rescued values per entity, and the rich fields reach the mart.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

if TYPE_CHECKING:
    from conftest import DemoConfig
from dbt_fixtures import SyntheticShop, query, scalar
from snowflake_fixtures import Commit, write_commit

from glueflake.config import load_config
from glueflake.demo_api import countries
from glueflake.lake import LocalStore
from glueflake.load import run_load
from glueflake.transform import BuildSummary, DbtFailure, DbtSettings, build

sqlglot = pytest.importorskip("sqlglot")

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("dbt_payloads")]

PROJECT_DIR = Path(__file__).resolve().parents[2]
DAY = 300
RUN_IDS = (
    "20261101T000000.000Z-aaaaaa",
    "20261102T000000.000Z-bbbbbb",
    "20261103T000000.000Z-cccccc",
)
DRIFTED_ORDER = 7
FRANCE_DRIFT = {"population": "5.4 million", "capital": "Paris", "continents": "Europe"}


@dataclass
class Built:
    """The warehouse after one load and build, and what dbt reported."""

    root: Path
    db: Path
    settings: DbtSettings
    summary: BuildSummary
    latest: list[dict[str, Any]]


def _payload(n: int) -> list[dict[str, Any]]:
    records = countries(0)
    for record in records:
        if record["population"]:
            record["population"] += n
    return records


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_config: DemoConfig) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("payloads")
    store = LocalStore(root / "lake")  # the lake of demo_config's config in root
    latest = _payload(len(RUN_IDS) - 1)
    for record in latest:
        if record["cca3"] == "FRA":
            record.update(FRANCE_DRIFT)
    for n, run_id in enumerate(RUN_IDS):
        records = latest if n == len(RUN_IDS) - 1 else _payload(n)
        write_commit(store, Commit("restcountries", "countries", run_id, (tuple(records),)))
    shop = SyntheticShop(scale=300, reference_day=DAY)
    orders = shop.orders(DAY, None)
    for order in orders:
        if order["id"] == DRIFTED_ORDER:
            order["items"] = "none"
    write_commit(
        store, Commit("shop", "customers", RUN_IDS[0], (tuple(shop.customers(DAY, None)),))
    )
    write_commit(store, Commit("shop", "orders", RUN_IDS[0], (tuple(orders),)))

    config = load_config(demo_config.write(root))
    db = config.resolve_path(config.warehouse.path)
    assert not run_load(config).aborted
    settings = DbtSettings(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target="dev",
        duckdb_path=db,
        target_path=root / "dbt_target",
        log_path=root / "dbt_logs",
    )
    summary = build(settings, progress=False)
    yield Built(root, db, settings, summary, latest)


def _compiled(built: Built, name: str, folder: str = "models/raw") -> str:
    """The compiled SQL of a model (in its folder) or a data test (anywhere below)."""
    compiled = built.settings.resolved_target_path / "compiled" / "glueflake"
    path = compiled / folder / f"{name}.sql"
    if not path.exists():  # a data test: under the yml that declares it
        path = next(compiled.rglob(f"{name}.sql"))
    return path.read_text(encoding="utf-8")


def test_build_passes_with_the_drift_reported_as_warnings(built: Built) -> None:
    assert built.summary.ok, [n.describe() for n in built.summary.failed_nodes]
    warned = {n.name: n.failures for n in built.summary.nodes if n.status == "warn"}
    assert warned == {
        "no_rescued_values_raw_restcountries__countries_country_code": 3,
        "no_rescued_values_raw_shop__orders_order_id": 1,
    }


@pytest.mark.parametrize(
    "model", ["raw_restcountries__countries", "raw_shop__customers", "raw_shop__orders"]
)
def test_raw_model_parses_each_record_once(built: Built, model: str) -> None:
    """The landed `record` column is read by exactly one expression: one json_transform."""
    tree = sqlglot.parse_one(_compiled(built, model), dialect="duckdb")
    reads = [c for c in tree.find_all(sqlglot.exp.Column) if c.name.lower() == "record"]
    assert len(reads) == 1, [str(c.parent) for c in reads]
    call = reads[0].parent
    while call is not None and not isinstance(call, sqlglot.exp.Func):
        call = call.parent
    assert call is not None and "json_transform" in call.sql(dialect="duckdb").lower()


def test_countries_are_read_from_the_latest_payload_only(built: Built) -> None:
    assert scalar(built.db, "select count(*) from landing.restcountries__countries") == 3 * len(
        built.latest
    )
    rows = query(built.db, "select distinct _run_id from dev_raw.raw_restcountries__countries")
    assert rows == [(RUN_IDS[-1],)]
    germany = next(r for r in built.latest if r["cca3"] == "DEU")
    assert (
        scalar(
            built.db,
            "select population from dev_raw.raw_restcountries__countries "
            "where country_code = 'DEU'",
        )
        == (germany["population"])
    )


def test_drift_is_null_in_its_column_and_kept_in_rescued(built: Built) -> None:
    row = query(
        built.db,
        "select population, capital, capitals, continents, _rescued "
        "from dev_raw.raw_restcountries__countries where country_code = 'FRA'",
    )[0]
    assert row[:4] == (None, None, None, None)
    assert json.loads(row[4]) == FRANCE_DRIFT
    order = query(
        built.db,
        f"select items, item_count, _rescued from dev_raw.raw_shop__orders "
        f"where order_id = {DRIFTED_ORDER}",
    )[0]
    assert order[:2] == (None, 0)
    assert json.loads(order[2]) == {"items": "none"}


def test_rescued_values_test_names_key_and_field(built: Built) -> None:
    sql = _compiled(built, "no_rescued_values_raw_restcountries__countries_country_code")
    rows = query(built.db, sql)
    assert sorted((key, field, json.loads(value)) for key, field, value in rows) == sorted(
        ("FRA", field, value) for field, value in FRANCE_DRIFT.items()
    )


def test_summary_counts_rescued_values_per_entity(built: Built) -> None:
    assert built.summary.rescued == {
        ("restcountries", "countries"): 3,
        ("shop", "customers"): 0,
        ("shop", "orders"): 1,
    }


def test_rescued_values_fail_the_ci_target(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "ci.duckdb"
    shutil.copy(built.db, copy)
    settings = built.settings.model_copy(
        update={"target": "ci", "duckdb_path": copy, "target_path": tmp_path / "target"}
    )
    with pytest.raises(DbtFailure) as failed:
        build(settings, select="path:models/raw path:seeds", progress=False)
    assert sorted(n.name for n in failed.value.failed) == [
        "no_rescued_values_raw_restcountries__countries_country_code",
        "no_rescued_values_raw_shop__orders_order_id",
    ]


def test_none_forms_read_as_null(built: Built) -> None:
    row = query(
        built.db,
        "select subregion, capital, capitals, currencies, native_names, calling_code_root, "
        "gini from dev_raw.raw_restcountries__countries where country_code = 'ATA'",
    )[0]
    assert row == (None,) * 7
    # the demo and the real shape give the same mart: no '' left
    assert scalar(built.db, "select count(*) from dev_mart.dim_countries where subregion = ''") == 0


def test_rich_fields_reach_the_mart(built: Built) -> None:
    germany = query(
        built.db,
        "select calling_code, top_level_domain, demonym, capital_latitude is not null, "
        "timezone_count from dev_mart.dim_countries where country_code = 'DEU'",
    )[0]
    assert germany == ("+49", ".de", "German", True, 1)
    names = dict(
        query(
            built.db,
            "select language_code || '/' || name_kind, common_name from dev_mart.dim_country_names "
            "where country_code = 'DEU'",
        )
    )
    assert names["deu/native"] == "Deutschland" and names["fra/translation"] == "Allemagne"
    assert len([k for k in names if k.endswith("/translation")]) == 25
    capitals = scalar(
        built.db, "select count(*) from dev_transform.int_country_capitals where country_code='ZAF'"
    )
    assert capitals >= 1


def test_readers_see_the_landing_table_unchanged(built: Built) -> None:
    """Records are never altered: landing keeps France's drifted values as they came."""
    with duckdb.connect(str(built.db), read_only=True) as con:
        row = con.execute(
            "select record->>'population', record->>'capital' "
            "from landing.restcountries__countries "
            f"where record->>'cca3' = 'FRA' and _run_id = '{RUN_IDS[-1]}'"
        ).fetchone()
    assert row == ("5.4 million", "Paris")
