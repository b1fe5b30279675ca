"""The benchmark harness's pure parts: statistics, formatting, checks, cache keys.

No timing is asserted anywhere: the harness measures, tests only check its arithmetic
and its output format.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root holds bench/

from bench.apiserver import cache_key, day_spec, parse_day
from bench.cli import parse
from bench.machine import machine_info, machine_line
from bench.report import notes, ratios, table, to_json
from bench.runner import (
    ChangesOutOfReach,
    Harness,
    Options,
    SecondRun,
    Suite,
    plan_second_run,
)
from bench.stats import (
    CountMismatch,
    Stat,
    check_counts,
    fmt_pct,
    fmt_seconds,
    fmt_x,
    rate,
    ratio,
    ratios_line,
)

from glueflake.config import load_config
from glueflake.demo_api import DemoSettings, iter_orders

RATIOS_RE = re.compile(
    r"^ratios: e2e_vs_dlt=(\S+x|n/a) load_vs_duckdb=(\S+x|n/a) extract_vs_fetch=(\S+x|n/a) "
    r"dbt_vs_sql=(\S+x|n/a) incremental=(\S+%|n/a) incremental_e2e=(\S+%|n/a) "
    r"noop_run=(\S+s|n/a) peak_rss_mb=(\d+|n/a)$"
)


def test_stat_median_min_max() -> None:
    stat = Stat.of([3.0, 1.0, 2.0])
    assert (stat.median, stat.min, stat.max, stat.n) == (2.0, 1.0, 3.0, 3)
    assert Stat.of([4, 1, 3, 2]).median == 2.5
    assert Stat.of([7]).to_dict() == {"median": 7.0, "min": 7.0, "max": 7.0, "n": 1}


def test_stat_needs_samples() -> None:
    with pytest.raises(ValueError):
        Stat.of([])


def test_rate_and_ratio_guard_zero() -> None:
    assert rate(200_000, 2.0) == 100_000
    assert rate(5, 0) == 0.0
    assert ratio(3, 2) == 1.5
    assert math.isnan(ratio(1, 0))


def test_formatting() -> None:
    assert fmt_seconds(Stat.of([1.234, 1.2, 1.31])) == "1.23 s (1.20 s-1.31 s)"
    assert fmt_seconds(Stat.of([46.7])) == "46.7 s (46.7 s-46.7 s)"
    assert fmt_x(1.234) == "1.23x"
    assert fmt_x(12.34) == "12.3x"
    assert fmt_x(float("nan")) == "n/a"
    assert fmt_pct(3.456) == "3.5%"


def test_ratios_line_format() -> None:
    line = ratios_line(
        {
            "e2e_vs_dlt": 31.4,
            "load_vs_duckdb": 1.21,
            "extract_vs_fetch": 1.4,
            "dbt_vs_sql": 2.54,
            "incremental": 3.2,
            "incremental_e2e": 8.04,
            "noop_run": 1.234,
            "peak_rss_mb": 187.6,
        }
    )
    assert line == (
        "ratios: e2e_vs_dlt=31.4x load_vs_duckdb=1.21x extract_vs_fetch=1.40x "
        "dbt_vs_sql=2.54x incremental=3.2% incremental_e2e=8.0% noop_run=1.23s "
        "peak_rss_mb=188"
    )
    assert RATIOS_RE.match(line)


def test_ratios_line_not_measured() -> None:
    line = ratios_line({"e2e_vs_dlt": None, "load_vs_duckdb": float("nan")})
    assert line.startswith("ratios: e2e_vs_dlt=n/a load_vs_duckdb=n/a extract_vs_fetch=n/a")
    assert RATIOS_RE.match(line)


def test_check_counts() -> None:
    check_counts("same", {"a": 10, "b": 10, "skipped": None})
    with pytest.raises(CountMismatch, match="a=10, b=9"):
        check_counts("differ", {"a": 10, "b": 9})


def test_cache_key_normalises_order_encoding_and_first_page() -> None:
    a = cache_key("/api/orders?per_page=1000&updated_since=2020-01-01T00%3A00%3A00Z")
    b = cache_key("/api/orders?updated_since=2020-01-01T00:00:00Z&page=1&per_page=1000")
    assert a == b
    assert cache_key("/api/orders?page=2&per_page=1000") != cache_key("/api/orders?per_page=1000")
    assert cache_key("/v3.1/all") == "/v3.1/all?"


def _suite() -> Suite:
    suite = Suite(scale=1000, kind="full", expected_records=1000)
    for key, values in {
        "extract_s": [1.0, 1.2, 1.1],
        "extract_bytes": [2e6, 2e6, 2e6],
        "fetch_s": [0.8, 0.9, 1.0],
        "fetch_bytes": [2e6, 2e6, 2e6],
        "load_s": [0.3, 0.3, 0.3],
        "ctas_s": [0.2, 0.25, 0.3],
        "lake_bytes": [4e5, 4e5, 4e5],
        "dbt_s": [2.0, 2.0, 2.0],
        "dbt_python_s": [1.5, 1.5, 1.5],
        "e2e_s": [3.3, 3.5, 3.4],
        "dlt_s": [30.0, 34.0, 32.0],
        "incremental_s": [0.05, 0.05, 0.05],
        "incremental_pct": [3.0, 4.0, 5.0],
        "incremental_records": [26, 26, 26],
        "incremental_dbt_s": [1.0, 1.0, 1.0],
        "incremental_e2e_pct": [30.0, 40.0, 50.0],
        "sql_s": [0.5, 0.4, 0.6],
        "sql_models_s": [0.3, 0.3, 0.3],
        "noop_s": [0.7, 0.6, 0.8],
    }.items():
        for value in values:
            suite.add(key, value)
    for stage, mb in {
        "extract": 90.0,
        "load": 120.0,
        "dbt": 250.0,
        "dbt_python": 240.0,
        "incremental": 200.0,
    }.items():
        suite.add_rss(stage, mb)
    suite.add_count("glueflake extract", 1000)
    suite.add_api("extract", {"requests": 1, "hits": 1, "misses": 0})
    return suite


def test_ratios_from_suites() -> None:
    got = ratios([_suite()])
    assert got["e2e_vs_dlt"] == pytest.approx(32.0 / 3.4)
    assert got["load_vs_duckdb"] == pytest.approx(0.3 / 0.25)
    assert got["extract_vs_fetch"] == pytest.approx(1.1 / 0.9)
    assert got["incremental"] == 4.0
    assert got["incremental_e2e"] == 40.0
    assert got["dbt_vs_sql"] == pytest.approx(2.0 / 0.5)
    assert got["noop_run"] == 0.7
    assert got["peak_rss_mb"] == 250.0
    assert RATIOS_RE.match(ratios_line(got))


def test_incremental_is_taken_at_the_largest_pre_rendered_scale() -> None:
    big = Suite(scale=1_000_000, kind="e2e", expected_records=1_000_000)
    cold = Suite(scale=10_000_000, kind="rss", expected_records=10_000_000)
    for suite, pct in ((big, 2.5), (cold, 40.0)):
        suite.add("incremental_pct", pct)
    cold.add_rss("incremental_dbt", 480.0)
    got = ratios([_suite(), big, cold])
    assert got["incremental"] == 2.5  # not the full suite's 4.0, nor the cold rss run
    assert got["peak_rss_mb"] == 480.0  # every glueflake stage of the largest run counts


def test_table_and_notes_render() -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(table(_suite()))
    text = console.export_text()
    assert "dlt rest_api_source" in text
    assert "faster" in text
    python_row = next(line for line in text.splitlines() if "Python models" in line)
    assert "240" in python_row  # its peak RSS
    dbt_row = next(line for line in text.splitlines() if "order models (source" in line)
    assert "4.00x time" in dbt_row  # against the plain SQL
    assert "plain SQL: same compiled models" in text
    noop_row = next(line for line in text.splitlines() if "no-op run" in line)
    assert "0.70 s" in noop_row
    lines = notes(_suite())
    assert any("served from its cache" in line for line in lines)
    assert any("26 new or changed orders (2.60% of 1,000)" in line for line in lines)


SECOND = SecondRun(
    day=1, hour=10, changes=1.0, first=1000, bookmark="2026-01-01T23:59:56Z", served=12, changed=11
)


def test_table_and_notes_name_the_second_runs_hour_and_share() -> None:
    from rich.console import Console

    suite = _suite()
    suite.second = SECOND
    suite.samples["incremental_records"] = [11, 11, 11]
    console = Console(width=200, record=True)
    console.print(table(suite))
    assert "extract+load, day 1 until 09:59:59 (11 records)" in console.export_text()
    line = next(x for x in notes(suite) if x.startswith("incremental:"))
    assert line == (
        "incremental: day 0 -> day 1 until 09:59:59 (hour 10), the first hour bringing "
        ">= 1%: brings 11 new or changed orders (1.10% of 1,000); its extract+load took "
        "4.0% of the first run's"
    )
    assert to_json([suite], {}, {}, "")["suites"][0]["second_run"] == {
        "day": 1,
        "hour": 10,
        "changes": 1.0,
        "first": 1000,
        "bookmark": "2026-01-01T23:59:56Z",
        "served": 12,
        "changed": 11,
    }


def test_day_specs() -> None:
    assert parse_day("0") == (0, 24)
    assert parse_day(" 1@9 ") == (1, 9)
    assert parse_day("1@24") == (1, 24)
    assert [day_spec(*parse_day(s)) for s in ("0", "1@9", "1@24")] == ["0", "1@9", "1"]
    for bad in ("1@0", "1@25", "-1", "x", "1@", "1@x"):
        with pytest.raises(ValueError, match="DAY@HOUR"):
            parse_day(bad)


def _simulated_second_run(seed: int, scale: int, hour: int) -> tuple[str, int, int]:
    """What the extract's incremental rule gives, worked out record by record."""
    day0 = list(iter_orders(DemoSettings(seed=seed, scale=scale, day=0)))
    bookmark = max(o["updated_at"] for o in day0)
    at_bookmark = {o["id"] for o in day0 if o["updated_at"] == bookmark}
    day1 = DemoSettings(seed=seed, scale=scale, day=1, hour=hour)
    served = [o for o in iter_orders(day1) if o["updated_at"] >= bookmark]
    kept = [o for o in served if not (o["updated_at"] == bookmark and o["id"] in at_bookmark)]
    return bookmark, len(served), len(kept)


@pytest.mark.parametrize(("scale", "changes"), [(3_000, 1.0), (3_000, 0.5), (20_000, 1.0)])
def test_plan_second_run_picks_the_first_hour_with_enough_changes(
    scale: int, changes: float
) -> None:
    plan = plan_second_run(7, scale, changes)
    assert plan.first == scale and plan.day == 1 and plan.changes == changes
    assert (plan.bookmark, plan.served, plan.changed) == _simulated_second_run(7, scale, plan.hour)
    assert plan.share >= changes and plan.share == 100 * plan.changed / scale
    assert plan.hour > 1
    _, _, before = _simulated_second_run(7, scale, plan.hour - 1)
    assert 100 * before / scale < changes
    assert plan.spec == f"1@{plan.hour}"
    assert plan.label == f"day 1 until {plan.hour - 1:02d}:59:59"


def test_plan_second_run_can_take_the_whole_day_but_no_more() -> None:
    _, _, changed = _simulated_second_run(7, 3_000, 24)
    day = 100 * changed / 3_000
    whole = plan_second_run(7, 3_000, day)
    assert whole.hour == 24 and whole.spec == "1" and whole.label == "day 1 until 23:59:59"
    with pytest.raises(ChangesOutOfReach, match=f"the whole of day 1 brings only {day:.2f}%"):
        plan_second_run(7, 3_000, day + 0.01)


def test_changes_option() -> None:
    assert parse([]).changes == 1.0
    assert parse(["--changes", "0.5"]).changes == 0.5
    with pytest.raises(SystemExit):
        parse(["--changes", "0"])


def test_configs_carry_the_second_runs_day_and_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLUEFLAKE_SHOP_API_KEY", "bench-key")
    harness = Harness(Options(workdir=tmp_path, ref="worktree", keep=True), lambda _: None)
    fronts = {0: "http://127.0.0.1:1", 1: "http://127.0.0.1:2"}
    paths = harness.write_configs(tmp_path / "run", fronts, tmp_path, {1: 9})
    assert [p.name for p in paths.values()] == ["pipeline-day0.yml", "pipeline-day1.yml"]
    first, second = (load_config(paths[day]) for day in (0, 1))
    assert (first.demo.day, first.demo.hour) == (0, 24)
    assert (second.demo.day, second.demo.hour) == (1, 9)
    assert {s.base_url for s in second.sources.values()} == {fronts[1]}


def test_machine_line() -> None:
    info = machine_info()
    assert int(info["cores"]) >= 1
    assert "cores" in machine_line(info)


def test_the_python_models_peak_rss_counts_in_the_ratios() -> None:
    suite = _suite()
    suite.add_rss("dbt_python", 300.0)
    assert ratios([suite])["peak_rss_mb"] == 300.0


def test_payload_bench_lands_250_changed_records_of_about_3_5_kb() -> None:
    import orjson
    from bench.payloads import payload_records

    first, second = payload_records(0), payload_records(1)
    assert len(first) == len(second) == 250
    assert len({r["cca3"] for r in first}) == 250
    sizes = [len(orjson.dumps(r)) for r in first]
    assert 3_300 <= sum(sizes) / len(sizes) <= 3_800
    assert orjson.dumps(first) != orjson.dumps(second)  # every payload is a changed one


def test_plain_sql_runs_models_after_the_models_they_read() -> None:
    from bench.stages import _dependency_order

    nodes = {
        "model.p.c": {"depends_on": {"nodes": ["model.p.b", "source.p.l.t"]}},
        "model.p.b": {"depends_on": {"nodes": ["model.p.a", "seed.p.s"]}},
        "model.p.a": {"depends_on": {"nodes": ["model.p.outside"]}},
    }
    order = _dependency_order(["model.p.c", "model.p.a", "model.p.b"], nodes)
    assert order == ["model.p.a", "model.p.b", "model.p.c"]
