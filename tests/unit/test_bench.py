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

from bench.apiserver import cache_key
from bench.machine import machine_info, machine_line
from bench.report import notes, ratios, table
from bench.runner import Suite
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

RATIOS_RE = re.compile(
    r"^ratios: e2e_vs_dlt=(\S+x|n/a) load_vs_duckdb=(\S+x|n/a) extract_vs_fetch=(\S+x|n/a) "
    r"incremental=(\S+%|n/a) peak_rss_mb=(\d+|n/a)$"
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
            "incremental": 3.2,
            "peak_rss_mb": 187.6,
        }
    )
    assert line == (
        "ratios: e2e_vs_dlt=31.4x load_vs_duckdb=1.21x extract_vs_fetch=1.40x "
        "incremental=3.2% peak_rss_mb=188"
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
        "e2e_s": [3.3, 3.5, 3.4],
        "dlt_s": [30.0, 34.0, 32.0],
        "incremental_s": [0.05, 0.05, 0.05],
        "incremental_pct": [3.0, 4.0, 5.0],
        "incremental_records": [26, 26, 26],
        "incremental_dbt_s": [1.0, 1.0, 1.0],
    }.items():
        for value in values:
            suite.add(key, value)
    for stage, mb in {"extract": 90.0, "load": 120.0, "dbt": 250.0, "incremental": 200.0}.items():
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
    lines = notes(_suite())
    assert any("served from its cache" in line for line in lines)
    assert any("26 new or changed orders" in line for line in lines)


def test_machine_line() -> None:
    info = machine_info()
    assert int(info["cores"]) >= 1
    assert "cores" in machine_line(info)
