"""Turning suites into the printed table, the ratios line and the JSON results."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from bench.runner import Suite
from bench.stats import (
    RATIO_KEYS,
    Stat,
    fmt_mb,
    fmt_pct,
    fmt_rate,
    fmt_seconds,
    fmt_x,
    rate,
    ratio,
)

MB = 1_000_000


def _stat(suite: Suite, key: str) -> Stat | None:
    values = suite.samples.get(key)
    return Stat.of(values) if values else None


def _rss(suite: Suite, key: str) -> str:
    values = suite.rss_mb.get(key)
    return f"{max(values):,.0f}" if values else "-"


def ratios(suites: list[Suite]) -> dict[str, float | None]:
    """The closing figures (medians; see docs/benchmarks.md for each definition).

    - e2e_vs_dlt: dlt's time / glueflake's extract+load+dbt time on the same records,
      at the largest scale where both ran (>1 means glueflake is faster);
    - load_vs_duckdb: glueflake load time / bare read_ndjson CTAS time (lower is better);
    - extract_vs_fetch: glueflake extract time / bare sequential fetch time;
    - dbt_vs_sql: the order models' dbt stage / the same compiled models (CTAS) and data
      tests run as plain SQL in one DuckDB connection, at the largest scale where both ran;
    - incremental: the second run's extract+load as % of the first run's extract+load,
      at the largest scale where it ran with pre-rendered pages (full or e2e suite); the
      second run is day 1 until the first hour bringing ``--changes`` % (default 1 %)
      new or changed orders;
    - incremental_e2e: that run's extract+load+dbt as % of the first run's, same scale;
    - noop_run: seconds of a `glueflake run` right after the first (nothing new: no
      dbt), at the largest scale where it ran;
    - peak_rss_mb: the largest peak RSS of any glueflake stage at the largest scale run
      (the Python models' own dbt stage included).
    """
    full = next(s for s in suites if s.kind == "full")
    out: dict[str, float | None] = dict.fromkeys(RATIO_KEYS)
    with_dlt = [s for s in suites if s.samples.get("dlt_s")]
    if with_dlt:
        top = max(with_dlt, key=lambda s: s.scale)
        out["e2e_vs_dlt"] = ratio(_med(top, "dlt_s"), _med(top, "e2e_s"))
    if full.samples.get("ctas_s"):
        out["load_vs_duckdb"] = ratio(_med(full, "load_s"), _med(full, "ctas_s"))
    if full.samples.get("fetch_s"):
        out["extract_vs_fetch"] = ratio(_med(full, "extract_s"), _med(full, "fetch_s"))
    with_inc = [s for s in suites if s.kind in ("full", "e2e") and s.samples.get("incremental_pct")]
    if with_inc:
        top_inc = max(with_inc, key=lambda s: s.scale)
        out["incremental"] = _med(top_inc, "incremental_pct")
        if top_inc.samples.get("incremental_e2e_pct"):
            out["incremental_e2e"] = _med(top_inc, "incremental_e2e_pct")
    with_sql = [s for s in suites if s.samples.get("sql_s")]
    if with_sql:
        top_sql = max(with_sql, key=lambda s: s.scale)
        out["dbt_vs_sql"] = ratio(_med(top_sql, "dbt_s"), _med(top_sql, "sql_s"))
    with_noop = [s for s in suites if s.samples.get("noop_s")]
    if with_noop:
        out["noop_run"] = _med(max(with_noop, key=lambda s: s.scale), "noop_s")
    biggest = max(suites, key=lambda s: s.scale)
    glueflake_stages = ("extract", "load", "dbt", "dbt_python", "incremental", "incremental_dbt")
    peaks = [max(biggest.rss_mb[k]) for k in glueflake_stages if biggest.rss_mb.get(k)]
    out["peak_rss_mb"] = max(peaks) if peaks else None
    return out


def _med(suite: Suite, key: str) -> float:
    stat = _stat(suite, key)
    return stat.median if stat else float("nan")


def table(suite: Suite) -> Table:
    """One suite as a table: time median (min-max), rates, peak RSS, ratio to baseline."""
    n = suite.expected_records
    repeats = len(suite.samples.get("extract_s", []))
    title = (
        f"{suite.kind} @ {n:,} orders "
        f"(median of {repeats} run{'s' if repeats != 1 else ''}, min-max in brackets)"
    )
    t = Table(title=title, title_justify="left")
    t.add_column("stage")
    t.add_column("side")
    t.add_column("time", justify="right")
    t.add_column("records/s", justify="right")
    t.add_column("MB/s", justify="right")
    t.add_column("peak RSS MB", justify="right")
    t.add_column("vs baseline", justify="right")

    def row(
        stage: str,
        side: str,
        key: str,
        rss_key: str | None,
        mb_key: str | None = None,
        base: str | None = None,
        records: float | None = None,
        faster: bool = False,
    ) -> None:
        stat = _stat(suite, key)
        if stat is None:
            return
        count = n if records is None else records
        mb = "-"
        if mb_key and suite.samples.get(mb_key):
            mb = fmt_mb(rate(_med(suite, mb_key) / MB, stat.median))
        vs = "-"
        if base and _stat(suite, base):
            if faster:  # the baseline is the peer: how many times faster glueflake is
                vs = fmt_x(ratio(_med(suite, base), stat.median)) + " faster"
            else:  # the baseline is a floor: how many times its time glueflake takes
                vs = fmt_x(ratio(stat.median, _med(suite, base))) + " time"
        t.add_row(
            stage,
            side,
            fmt_seconds(stat),
            fmt_rate(rate(count, stat.median)),
            mb,
            _rss(suite, rss_key) if rss_key else "-",
            vs,
        )

    row("extract", "glueflake API -> lake", "extract_s", "extract", "extract_bytes", "fetch_s")
    row("", "bare fetch (httpx, sequential, bodies discarded)", "fetch_s", "fetch", "fetch_bytes")
    row("", "bare fetch, 4 in flight (info)", "fetch_parallel_s", "fetch_parallel", "fetch_bytes")
    t.add_section()
    row("load", "glueflake lake -> landing", "load_s", "load", "lake_bytes", "ctas_s")
    row("", "DuckDB CTAS read_ndjson (same files)", "ctas_s", "ctas", "lake_bytes")
    t.add_section()
    row("dbt", "order models (source:landing.shop__orders+), SQL", "dbt_s", "dbt", None, "sql_s")
    row("", "plain SQL: same compiled models (CTAS) + data tests", "sql_s", "sql")
    row("", "plain SQL: the models' CTAS alone (info)", "sql_models_s", None)
    row("", "Python models on them (tag:python; not in e2e)", "dbt_python_s", "dbt_python")
    row("e2e", "glueflake extract+load+dbt", "e2e_s", None, None, "dlt_s", faster=True)
    row("", "dlt rest_api_source -> duckdb", "dlt_s", "dlt")
    if suite.samples.get("noop_s"):
        t.add_section()
        side = "glueflake run, nothing new (dbt skipped)"
        row("no-op run", side, "noop_s", "noop", None, "e2e_s", 0)
    if suite.samples.get("incremental_s"):
        t.add_section()
        changed = _med(suite, "incremental_records")
        when = suite.second.label if suite.second else "day+1"
        row(
            "incremental",
            f"extract+load, {when} ({changed:,.0f} records)",
            "incremental_s",
            "incremental",
            None,
            None,
            changed,
        )
        row(
            "",
            f"dbt of what changed, {when} (info)",
            "incremental_dbt_s",
            "incremental_dbt",
            None,
            None,
            changed,
        )
    return t


def notes(suite: Suite) -> list[str]:
    """Lines under a suite's table: API cache honesty, counts, incremental share."""
    lines: list[str] = []
    served = {k: v for k, v in suite.api.items() if v.get("requests")}
    misses = sum(v.get("misses", 0) for v in served.values())
    requests = sum(v.get("requests", 0) for v in served.values())
    if misses:
        parts = ", ".join(f"{k} {v['misses']}" for k, v in served.items() if v.get("misses"))
        lines.append(
            f"demo API: {misses} of {requests} measured requests missed the pre-render "
            f"cache ({parts}); those stages include the API's record generation"
        )
    else:
        lines.append(
            f"demo API: pre-rendered; all {requests:,} measured requests were served from "
            "its cache, so no side paid for record generation"
        )
    counts = {k: sorted(set(v)) for k, v in suite.counts.items()}
    lines.append(
        "records checked equal on every compared side: "
        + ", ".join(f"{k}={'/'.join(f'{x:,}' for x in v)}" for k, v in counts.items())
    )
    if suite.samples.get("incremental_records"):
        changed = _med(suite, "incremental_records")
        pct = 100 * changed / suite.expected_records if suite.expected_records else 0.0
        second = suite.second
        when = f"{second.label} (hour {second.hour})" if second else "day 1"
        asked = f", the first hour bringing >= {second.changes:g}%" if second else ""
        lines.append(
            f"incremental: day 0 -> {when}{asked}: brings {changed:,.0f} new or changed "
            f"orders ({pct:.2f}% of {suite.expected_records:,}); its extract+load took "
            f"{fmt_pct(_med(suite, 'incremental_pct'))} of the first run's"
        )
    return lines


def to_json(
    suites: list[Suite], machine: dict[str, Any], options: dict[str, Any], line: str
) -> dict[str, Any]:
    """Everything, raw samples included."""
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine,
        "options": options,
        "ratios_line": line,
        "ratios": ratios(suites),
        "suites": [
            {
                "kind": s.kind,
                "scale": s.scale,
                "expected_records": s.expected_records,
                "second_run": dataclasses.asdict(s.second) if s.second else None,
                "stats": {k: Stat.of(v).to_dict() for k, v in s.samples.items() if v},
                "samples": s.samples,
                "peak_rss_mb": s.rss_mb,
                "counts": s.counts,
                "api": s.api,
                "info": s.info,
            }
            for s in suites
        ],
    }


def write_json(data: dict[str, Any], directory: Path) -> Path:
    """Write ``results-<timestamp>.json`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"results-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    return path
