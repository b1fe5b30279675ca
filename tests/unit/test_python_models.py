"""The dbt Python models' own functions, loaded from models/mart with importlib.

dbt Python models cannot import project modules, so their logic lives in the model
files; these tests load each file as a module and run its scoring on small frames
with answers worked out by hand, and check the DuckDB / Snowpark helpers.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MART = ROOT / "models" / "mart"
REF = dt.date(2026, 3, 31)


def load_model(name: str) -> ModuleType:
    path = MART / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"glueflake_model_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


segments = load_model("customer_segments")
anomalies = load_model("daily_sales_anomalies")


def project_vars() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(data["vars"])


def rules(**overrides: Any) -> dict[str, Any]:
    raw = dict(project_vars()["rfm"])
    raw.update(overrides)
    return dict(segments.load_rules(raw))


# --- customer_segments ---------------------------------------------------------------------


def order(
    order_id: int,
    customer_id: int | None,
    days_ago: int,
    revenue: float = 10.0,
    continent: str | None = "Europe",
    cancelled: bool = False,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "order_date": REF - dt.timedelta(days=days_ago),
        "is_cancelled_or_returned": cancelled,
        "shipping_country_code": "DEU" if continent == "Europe" else None,
        "shipping_continent": continent,
        "revenue_usd": revenue,
    }


def ladder() -> list[dict[str, Any]]:
    """Customers 1..5 in Europe: customer k has k orders of 10 USD, the last 5-k days ago."""
    rows, next_id = [], 1
    for k in range(1, 6):
        for n in range(k):
            rows.append(order(next_id, k, (5 - k) + n))
            next_id += 1
    return rows


def by_customer(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    return {int(row["customer_id"]): row for row in frame.to_dict("records")}


def score(rows: list[dict[str, Any]], chosen: dict[str, Any]) -> pd.DataFrame:
    """What the model does on dbt-duckdb: reduce per customer in DuckDB, score in pandas."""
    with duckdb.connect() as con:
        relation = con.from_df(pd.DataFrame(rows))
        customers = segments.to_pandas(
            relation,
            group_by=["customer_id"],
            aggregates=segments.customer_aggregates(chosen),
            where="customer_id is not null",
        )
    return segments.score_customers(customers, chosen)


def scored(rows: list[dict[str, Any]], chosen: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return by_customer(score(rows, chosen))


def test_scores_rank_customers_within_their_peer_group() -> None:
    result = scored(ladder(), rules(min_peer_group_size=1))
    assert sorted(result) == [1, 2, 3, 4, 5]
    for k in range(1, 6):
        row = result[k]
        assert (row["recency_score"], row["frequency_score"], row["monetary_score"]) == (k, k, k)
        assert row["rfm_score"] == f"{k}{k}{k}"
        assert row["recency_days"] == 5 - k
        assert row["order_count"] == k
        assert row["net_revenue_usd"] == pytest.approx(10.0 * k)
        assert row["peer_group"] == "Europe"
        assert row["peer_group_size"] == 5
        assert row["scored_within_peer_group"]
        assert row["reference_date"] == REF  # customer 5's last order
    # the default rules: 555 and 444 champions, 333 loyal, 222 and 111 hibernating
    assert [result[k]["segment"] for k in range(1, 6)] == [
        "hibernating",
        "hibernating",
        "loyal",
        "champions",
        "champions",
    ]
    assert result[5]["first_order_date"] == dt.date(2026, 3, 27)
    assert result[5]["last_order_date"] == REF


def test_score_is_one_plus_the_share_strictly_worse_in_bins() -> None:
    # ten customers, one order each on distinct days: worse = 0..9 -> 1,1,2,2,3,3,4,4,5,5
    rows = [order(i, i, days_ago=10 - i, revenue=float(i)) for i in range(1, 11)]
    result = scored(rows, rules())
    assert [result[i]["monetary_score"] for i in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [result[i]["recency_score"] for i in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # everyone placed one order: nobody is strictly worse, so everyone scores 1
    assert {result[i]["frequency_score"] for i in range(1, 11)} == {1}


def test_ties_share_a_score() -> None:
    rows = [order(1, 1, 3, 50.0), order(2, 2, 3, 50.0), order(3, 3, 0, 5.0), order(4, 4, 0, 5.0)]
    result = scored(rows, rules(min_peer_group_size=1))
    # two customers strictly worse than the pair on money: 1 + 5*2 // 4 = 3
    assert [result[i]["monetary_score"] for i in (1, 2, 3, 4)] == [3, 3, 1, 1]
    assert [result[i]["recency_score"] for i in (1, 2, 3, 4)] == [1, 1, 3, 3]


def test_cancelled_orders_count_for_frequency_not_money_and_customerless_orders_are_left_out() -> (
    None
):
    rows = [
        *ladder(),
        order(100, 5, 0, revenue=1000.0, cancelled=True),
        order(101, None, 0, revenue=999.0),
    ]
    result = scored(rows, rules(min_peer_group_size=1))
    assert sorted(result) == [1, 2, 3, 4, 5]
    assert result[5]["order_count"] == 6
    assert result[5]["net_revenue_usd"] == pytest.approx(50.0)


def test_peer_group_is_the_latest_orders_and_small_groups_score_against_everyone() -> None:
    rows = [
        *ladder(),
        order(200, 6, 30, revenue=500.0, continent="Europe"),
        order(201, 6, 4, revenue=500.0, continent=None),  # the latest: not matched
    ]
    alone = scored(rows, rules(min_peer_group_size=1))
    assert alone[6]["peer_group"] == "Unknown"
    assert alone[6]["peer_group_size"] == 1
    assert alone[6]["rfm_score"] == "111"  # nobody else in its group to beat
    assert alone[1]["peer_group_size"] == 5

    pooled = scored(rows, rules(min_peer_group_size=2))
    six = pooled[6]
    assert not six["scored_within_peer_group"]
    # against all six (recency 4,3,2,1,0 days for customers 1..5): nobody is strictly
    # worse on recency (customer 1 ties at 4 days) -> 1; frequency 2: customer 1 is
    # worse -> 1 + 5*1 // 6 = 1; money 1000: five worse -> 1 + 5*5 // 6 = 5
    assert (six["recency_score"], six["frequency_score"], six["monetary_score"]) == (1, 1, 5)
    assert pooled[5]["scored_within_peer_group"]
    assert pooled[5]["rfm_score"] == "555"


def test_country_peer_groups() -> None:
    rows = [*ladder(), order(300, 7, 0, revenue=1.0, continent="Asia")]
    result = scored(rows, rules(peer_group="country", min_peer_group_size=1))
    assert result[5]["peer_group"] == "DEU"
    assert result[7]["peer_group"] == "UNK"


def test_first_matching_rule_wins_and_unmatched_get_the_default() -> None:
    custom = rules(
        min_peer_group_size=1,
        default_segment="other",
        segments=[
            {"segment": "top", "r": [5, 5]},
            {"segment": "frequent", "f": [4, 5]},
        ],
    )
    result = scored(ladder(), custom)
    assert [result[k]["segment"] for k in range(1, 6)] == [
        "other",
        "other",
        "other",
        "frequent",
        "top",
    ]


def test_the_frame_has_the_documented_columns_and_types() -> None:
    frame = score(ladder(), rules())
    assert list(frame.columns) == list(segments.OUTPUT_TYPES)
    with duckdb.connect() as con:
        con.register("frame", frame)
        types = dict(
            con.execute("select column_name, column_type from (describe frame)").fetchall()
        )
    documented = documented_types("customer_segments")
    assert {name: kind.lower() for name, kind in types.items()} == documented


def test_no_orders_give_an_empty_frame_with_every_column() -> None:
    frame = score([order(1, None, 0)], rules())
    assert frame.empty
    assert list(frame.columns) == list(segments.OUTPUT_TYPES)


def test_the_project_rules_load_and_match_the_accepted_values() -> None:
    loaded = segments.load_rules(project_vars()["rfm"])
    names = {rule["segment"] for rule in loaded["segments"]} | {loaded["default_segment"]}
    column = mart_columns("customer_segments")["segment"]
    accepted = next(
        t for t in column["data_tests"] if isinstance(t, dict) and "accepted_values" in t
    )
    assert names == set(accepted["accepted_values"]["arguments"]["values"])


def test_rules_arrive_as_json_text_too() -> None:
    assert segments.load_rules('{"default_segment": "x"}')["bins"] == 5


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"default_segment": "x", "bins": 12}, "vars.rfm.bins"),
        ({"default_segment": "x", "peer_group": "planet"}, "vars.rfm.peer_group"),
        ({"default_segment": "x", "colour": 1}, "vars.rfm.colour"),
        ({"bins": 5}, "vars.rfm.default_segment"),
        (
            {"default_segment": "x", "segments": [{"segment": "a", "r": [0, 3]}]},
            "vars.rfm.segments[0].r",
        ),
        (
            {"default_segment": "x", "segments": [{"segment": "a", "x": [1, 3]}]},
            "vars.rfm.segments[0].x",
        ),
        ({"default_segment": "x", "segments": [{"r": [1, 3]}]}, "vars.rfm.segments[0].segment"),
        ("{not json", "vars.rfm"),
    ],
)
def test_bad_rules_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(segments.RulesError) as caught:
        segments.load_rules(raw)
    assert str(caught.value).startswith(field + ":")


# --- daily_sales_anomalies ----------------------------------------------------------------


def settings(**overrides: Any) -> dict[str, Any]:
    raw = dict(project_vars()["sales_anomalies"])
    raw.update(overrides)
    return dict(anomalies.load_settings(raw))


def sales_rows(
    values: list[float], continent: str = "Europe", currency: str = "EUR"
) -> list[dict[str, Any]]:
    start = dt.date(2026, 1, 1)
    return [
        {
            "order_date": start + dt.timedelta(days=i),
            "continent": continent,
            "currency_code": currency,
            "order_count": 1,
            "net_revenue_usd": value,
        }
        for i, value in enumerate(values)
    ]


def test_a_spike_after_a_steady_week_is_flagged_with_the_robust_z() -> None:
    values = [10, 12, 11, 13, 10, 12, 11, 100]
    frame = anomalies.flag_anomalies(
        pd.DataFrame(sales_rows(values)), settings(window_days=7, min_history_days=7)
    )
    last = frame.iloc[-1]
    # history 10,12,11,13,10,12,11: median 11, |deviations| 1,1,0,2,1,1,0 -> MAD 1
    assert last["baseline_median"] == 11
    assert last["baseline_deviation"] == pytest.approx(1 / 0.6745)
    assert last["robust_z"] == pytest.approx(0.6745 * 89)
    assert bool(last["is_anomaly"])
    assert last["history_days"] == 7
    # day 7 has only six days behind it: no score
    seventh = frame.iloc[6]
    assert seventh["history_days"] == 6
    assert math.isnan(seventh["robust_z"]) and not bool(seventh["is_anomaly"])
    assert not frame["is_anomaly"].iloc[:-1].any()


def test_a_flat_history_falls_back_on_the_mean_absolute_deviation() -> None:
    frame = anomalies.flag_anomalies(
        pd.DataFrame(sales_rows([5, 5, 5, 5, 5, 5, 7, 6])),
        settings(window_days=7, min_history_days=7),
    )
    last = frame.iloc[-1]
    # history 5 x6 and 7: MAD 0; mean |deviation| 2/7 -> deviation 1.2533 * 2/7
    assert last["baseline_deviation"] == pytest.approx(1.253314 * 2 / 7)
    assert last["robust_z"] == pytest.approx(1 / (1.253314 * 2 / 7))
    assert not bool(last["is_anomaly"])  # 2.79 < 3.5


def test_no_spread_at_all_gives_no_score() -> None:
    frame = anomalies.flag_anomalies(
        pd.DataFrame(sales_rows([5] * 8)), settings(window_days=7, min_history_days=7)
    )
    assert math.isnan(frame.iloc[-1]["robust_z"])
    assert not frame["is_anomaly"].any()


def test_an_intermittent_series_is_not_scored() -> None:
    # sales on 2 of 7 days: median 0, MAD 0; the mean-AD fallback would make every
    # sale a 3.5+ anomaly, so a zero median gives no score
    frame = anomalies.flag_anomalies(
        pd.DataFrame(sales_rows([0, 9, 0, 0, 0, 8, 0, 7])),
        settings(window_days=7, min_history_days=7),
    )
    last = frame.iloc[-1]
    assert last["baseline_median"] == 0
    assert math.isnan(last["baseline_deviation"]) and math.isnan(last["robust_z"])
    assert not frame["is_anomaly"].any()


def test_missing_days_count_zero_and_every_series_runs_to_the_latest_day() -> None:
    rows = sales_rows([10, 20])  # Jan 1 and 2, Europe/EUR
    rows.append({**sales_rows([30])[0], "order_date": dt.date(2026, 1, 5)})  # gap on 3 and 4
    rows.append({**sales_rows([3], "Asia", "JPY")[0], "order_date": dt.date(2026, 1, 2)})
    rows.append(
        {**sales_rows([4], "Asia", "JPY")[0], "order_date": dt.date(2026, 1, 2)}
    )  # a 2nd country
    frame = anomalies.flag_anomalies(pd.DataFrame(rows), settings())
    asia = frame[frame["continent"] == "Asia"]
    assert list(asia["order_date"]) == [dt.date(2026, 1, d) for d in range(2, 6)]
    assert list(asia["net_revenue_usd"]) == [7, 0, 0, 0]
    assert list(asia["order_count"]) == [2, 0, 0, 0]
    europe = frame[frame["continent"] == "Europe"]
    assert list(europe["net_revenue_usd"]) == [10, 20, 0, 0, 30]
    assert list(frame.columns) == list(anomalies.OUTPUT_TYPES)


def test_the_anomaly_frame_has_the_documented_types() -> None:
    frame = anomalies.flag_anomalies(pd.DataFrame(sales_rows([1.0, 2.0, 3.0])), settings())
    with duckdb.connect() as con:
        con.register("frame", frame)
        types = dict(
            con.execute("select column_name, column_type from (describe frame)").fetchall()
        )
    assert {name: kind.lower() for name, kind in types.items()} == documented_types(
        "daily_sales_anomalies"
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"window_days": 2}, "vars.sales_anomalies.window_days"),
        ({"window_days": 7, "min_history_days": 8}, "vars.sales_anomalies.min_history_days"),
        ({"z_threshold": 0}, "vars.sales_anomalies.z_threshold"),
        ({"z_threshold": "high"}, "vars.sales_anomalies.z_threshold"),
        ({"metric": "x"}, "vars.sales_anomalies.metric"),
    ],
)
def test_bad_anomaly_settings_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(anomalies.SettingsError) as caught:
        anomalies.load_settings(raw)
    assert str(caught.value).startswith(field + ":")


# --- the DuckDB / Snowpark helpers ---------------------------------------------------------


class FakeSnowparkFrame:
    """Stands in for a Snowpark DataFrame: filter, group_by().agg(), to_pandas."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.calls: list[tuple[str, Any]] = []

    def filter(self, condition: str) -> FakeSnowparkFrame:
        self.calls.append(("filter", condition))
        return self

    def group_by(self, *columns: str) -> FakeSnowparkFrame:
        self.calls.append(("group_by", columns))
        return self

    def agg(self, *columns: Any) -> FakeSnowparkFrame:
        self.calls.append(("agg", [(c.sql, c.name) for c in columns]))
        return self

    def to_pandas(self) -> pd.DataFrame:
        return self.frame.rename(columns=str.upper)  # Snowflake's unquoted names


class FakeSqlExpr:
    def __init__(self, sql: str) -> None:
        self.sql, self.name = sql, ""

    def alias(self, name: str) -> FakeSqlExpr:
        self.name = name
        return self


class FakeSession:
    """Stands in for a Snowpark Session: records what create_dataframe was given."""

    def __init__(self) -> None:
        self.created: pd.DataFrame | None = None

    def create_dataframe(self, frame: pd.DataFrame) -> str:
        self.created = frame
        return "snowpark-dataframe"


FakeSnowparkFrame.__module__ = "snowflake.snowpark.dataframe"
FakeSession.__module__ = "snowflake.snowpark.session"
AGGREGATES = (("orders", "count(*)"), ("revenue", "sum(amount)"))


@pytest.mark.parametrize("module", [segments, anomalies], ids=["segments", "anomalies"])
def test_helpers_on_duckdb(module: ModuleType) -> None:
    with duckdb.connect() as con:
        values = "(1, 2.5), (1, 1.5), (2, 4.0), (null, 9.0)"
        relation = con.sql(f"select * from (values {values}) t(customer_id, amount)")
        frame = module.to_pandas(relation, ["customer_id"], AGGREGATES, "customer_id is not null")
    frame = frame.sort_values("customer_id").reset_index(drop=True)
    assert list(frame.columns) == ["customer_id", "orders", "revenue"]
    assert frame.to_dict("records") == [
        {"customer_id": 1, "orders": 2, "revenue": 4.0},
        {"customer_id": 2, "orders": 1, "revenue": 4.0},
    ]
    result = pd.DataFrame({"customer_id": [1]})
    assert module.from_pandas(result, con) is result  # dbt-duckdb takes pandas as is


@pytest.mark.parametrize("module", [segments, anomalies], ids=["segments", "anomalies"])
def test_helpers_on_snowpark(module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    functions = ModuleType("snowflake.snowpark.functions")
    functions.sql_expr = FakeSqlExpr  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snowflake.snowpark", ModuleType("snowflake.snowpark"))
    monkeypatch.setitem(sys.modules, "snowflake.snowpark.functions", functions)
    source = FakeSnowparkFrame(pd.DataFrame({"customer_id": [1], "orders": [2], "revenue": [4.0]}))
    frame = module.to_pandas(source, ["customer_id"], AGGREGATES, "customer_id is not null")
    assert source.calls == [
        ("filter", "customer_id is not null"),
        ("group_by", ("customer_id",)),
        ("agg", [("count(*)", "orders"), ("sum(amount)", "revenue")]),
    ]
    assert list(frame.columns) == ["customer_id", "orders", "revenue"]
    session = FakeSession()
    assert module.from_pandas(frame, session) == "snowpark-dataframe"
    assert session.created is not None
    assert list(session.created.columns) == ["CUSTOMER_ID", "ORDERS", "REVENUE"]


def test_the_warehouse_side_sql_gives_the_same_rows_as_snowflake_sql() -> None:
    # The aggregates are SQL text both warehouses run; under fakesnow (Snowflake SQL
    # translated onto DuckDB, in memory) they give what DuckDB's relation API gives.
    fakesnow = pytest.importorskip("fakesnow")
    connector = pytest.importorskip("snowflake.connector")
    rows = [
        order(1, 1, 3, 10.0),
        order(2, 1, 1, 5.0, continent=None, cancelled=True),
        order(3, 2, 0, 7.0, continent="Asia"),
        order(4, None, 0, 1.0),
    ]
    chosen = rules()
    aggregates = segments.customer_aggregates(chosen)
    with duckdb.connect() as con:
        expected = segments.to_pandas(
            con.from_df(pd.DataFrame(rows)), ["customer_id"], aggregates, "customer_id is not null"
        )
    columns = ", ".join(f"{sql} as {name}" for name, sql in aggregates)
    with fakesnow.patch():
        conn = connector.connect(database="db", schema="s")
        cur = conn.cursor()
        cur.execute("create database if not exists db")
        cur.execute("create schema if not exists db.s")
        cur.execute("use schema db.s")
        cur.execute(
            "create table fct_orders (order_id int, customer_id int, order_date date, "
            "is_cancelled_or_returned boolean, shipping_country_code varchar, "
            "shipping_continent varchar, revenue_usd number(18, 2))"
        )
        cur.executemany(
            "insert into fct_orders values (%s, %s, %s, %s, %s, %s, %s)",
            [tuple(row.values()) for row in rows],
        )
        cur.execute(
            f"select customer_id, {columns} from fct_orders "
            "where customer_id is not null group by customer_id order by customer_id"
        )
        got = cur.fetchall()
        conn.close()
    want = expected.sort_values("customer_id")
    assert [(r[0], r[3], float(r[4]), r[5]) for r in got] == [
        (int(r.customer_id), int(r.order_count), float(r.net_revenue_usd), r.peer_group)
        for r in want.itertuples()
    ]
    assert [r[5] for r in got] == ["Unknown", "Asia"]  # the latest order's, null named


@pytest.mark.parametrize("name", ["is_snowpark", "to_pandas", "from_pandas"])
def test_the_two_models_carry_the_same_helpers(name: str) -> None:
    # dbt Python models cannot share a module, so each file carries the helpers;
    # this keeps the copies identical.
    assert inspect.getsource(getattr(segments, name)) == inspect.getsource(getattr(anomalies, name))


@pytest.mark.parametrize("module", [segments, anomalies], ids=["segments", "anomalies"])
def test_models_name_only_packages_snowflake_provides(module: ModuleType) -> None:
    # the Anaconda channel Snowpark installs from has pandas and numpy; anything else
    # imported at the top of a model would fail there
    source = inspect.getsource(module)
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imports <= {"json", "warnings", "numpy", "pandas"}
    assert 'dbt.config(packages=["pandas", "numpy"], python_version="3.11")' in source


# --- the yml ------------------------------------------------------------------------------


def mart_columns(model: str) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((MART / "_mart__models.yml").read_text(encoding="utf-8"))
    node = next(m for m in data["models"] if m["name"] == model)
    return {c["name"]: c for c in node["columns"]}


def documented_types(model: str) -> dict[str, str]:
    return {name: column["data_type"] for name, column in mart_columns(model).items()}
