"""Memory of the country models as history and record size grow: ``python -m bench.payloads``.

A replace-all entity lands its whole payload on every change, so its landing table
grows with history. This benchmark lands ``--payloads`` changed full payloads
(default 100) of 250 REST Countries records of about 3.5 KB (the demo API's real
shape, each record's flag description and postal-code pattern filled to the real
API's size, plus Kosovo for the 250th), loads them with glueflake's loader, builds
the raw and transform layers the countries feed with dbt on the dev profile (its
192 MB DuckDB memory limit), then runs each model's compiled SQL again under
DuckDB's profiler and reports its peak buffer memory
(``system_peak_buffer_memory``) and what it spilled to disk. The run fails when a
model's peak reaches the limit. ``make bench`` runs it after the main benchmarks
(about a minute).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

from bench.procs import REPO

SOURCE, ENTITY = "restcountries", "countries"
MODELS = (
    "raw_restcountries__countries+,path:models/raw "
    "raw_restcountries__countries+,path:models/transform"
)
"""dbt selection: the raw countries model and every transform model downstream of it."""
NOT_COUNTRY_ONLY = "int_orders int_order_lines int_customers"
"""Downstream transform models that also need the shop's landing tables (not landed here)."""
MEMORY_LIMIT_MB = 192
MB = 1024 * 1024
RECORD_BYTES = 3_500
DESCRIPTION = (
    "The flag of {name} is shown here as the data package draws it; this sentence "
    "stands in for the description the real API gives every flag, which runs to a "
    "few hundred characters describing its fields, stripes, emblems and colours. "
)


@dataclass(frozen=True)
class ModelPeak:
    """One model's compiled SQL run under the profiler."""

    name: str
    peak_mb: float
    spilled_mb: float
    seconds: float
    rows: int


def payload_records(payload: int) -> list[dict[str, Any]]:
    """The 250 records of changed payload number ``payload`` (0-based), ~3.5 KB each."""
    from glueflake.demo_api import countries

    records = countries(0)
    kosovo = json.loads(json.dumps(next(r for r in records if r["cca3"] == "SRB")))
    kosovo.update(
        {"cca2": "XK", "cca3": "XKX", "ccn3": "", "status": "user-assigned", "unMember": False}
    )
    kosovo["name"].update({"common": "Kosovo", "official": "Republic of Kosovo"})
    records.append(kosovo)
    for record in records:
        if record["population"]:
            record["population"] = record["population"] + payload  # every payload changes
        text = DESCRIPTION.format(name=record["name"]["common"])
        record["flags"]["alt"] = text
        size = len(orjson.dumps(record))
        if size < RECORD_BYTES:
            pattern = "^(\\d{5})$" * ((RECORD_BYTES - size) // 12 + 1)
            record["postalCode"] = {"format": "#####", "regex": pattern}
    return records


def write_lake(lake: Path, payloads: int) -> tuple[int, int]:
    """Commit ``payloads`` runs of the countries entity; returns (rows, JSON bytes)."""
    from glueflake.lake import (
        LocalStore,
        Manifest,
        ManifestFile,
        data_key,
        new_run_id,
        sha256_hex,
        write_manifest,
    )

    store = LocalStore(lake)
    started = datetime(2026, 11, 1, tzinfo=UTC)
    rows = json_bytes = 0
    for payload in range(payloads):
        run_id = new_run_id(started + timedelta(hours=payload))
        lines = b"".join(orjson.dumps(r) + b"\n" for r in payload_records(payload))
        body = gzip.compress(lines, compresslevel=1)
        key = data_key(SOURCE, ENTITY, date(2026, 11, 1), run_id, 1)
        info = store.put(key, body)
        count = lines.count(b"\n")
        listed = ManifestFile(
            key=key, records=count, bytes=len(body), sha256=sha256_hex(body), etag=info.etag
        )
        write_manifest(
            store,
            Manifest(
                source=SOURCE, entity=ENTITY, run_id=run_id, seq=1, files=[listed], records=count
            ),
        )
        rows += count
        json_bytes += len(lines)
    return rows, json_bytes


def write_config(root: Path) -> Path:
    """A pipeline config: the lake and a DuckDB warehouse in ``root``, countries only."""
    raw = {
        "version": 1,
        "lake": {"url": str(root / "lake")},
        "warehouse": {"type": "duckdb", "path": str(root / "warehouse.duckdb")},
        "dbt": {
            "project_dir": str(REPO),
            "profiles_dir": str(REPO),
            "target": "dev",
            "target_path": str(root / "dbt-target"),
            "log_path": str(root / "dbt-logs"),
        },
        "sources": {
            SOURCE: {
                "base_url": "demo",
                "endpoints": {
                    ENTITY: {
                        "path": "/v3.1/all",
                        "primary_key": "cca3",
                        "write_disposition": "replace",
                    }
                },
            }
        },
    }
    path = root / "pipeline.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def profile_models(db: Path, compiled: Path, names: list[str], workdir: Path) -> list[ModelPeak]:
    """Run each model's compiled SQL again under the profiler, with the profile's settings.

    One connection per model: DuckDB's peak is the process's since the database was
    opened, so each model's figure is its own.
    """
    out: list[ModelPeak] = []
    for name in names:
        sql = next(compiled.rglob(f"{name}.sql")).read_text(encoding="utf-8")
        out.append(_profile_one(db, name, sql, workdir))
    return out


def _profile_one(db: Path, name: str, sql: str, workdir: Path) -> ModelPeak:
    import duckdb

    profile = workdir / "profile.json"
    metrics = {"SYSTEM_PEAK_BUFFER_MEMORY": "true", "SYSTEM_PEAK_TEMP_DIR_SIZE": "true"}
    con = duckdb.connect(str(db))
    try:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT_MB}MB'")
        con.execute("set threads = 1")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set temp_directory = '{workdir / 'spill'}'")
        con.execute("set enable_profiling = 'json'")
        con.execute(f"set profiling_output = '{profile}'")
        con.execute(f"set custom_profiling_settings = '{json.dumps(metrics)}'")
        started = time.perf_counter()
        con.execute(f"create or replace temp table bench_model as {sql}")
        seconds = time.perf_counter() - started
        figures = json.loads(profile.read_text(encoding="utf-8"))
        row = con.execute("select count(*) from bench_model").fetchone()
    finally:
        con.close()
    return ModelPeak(
        name=name,
        peak_mb=figures["system_peak_buffer_memory"] / MB,
        spilled_mb=figures["system_peak_temp_dir_size"] / MB,
        seconds=seconds,
        rows=int(row[0]) if row else 0,
    )


def run(payloads: int, workdir: Path | None, keep: bool) -> int:
    """Land, load, build, profile; print the figures. Returns the exit code."""
    from rich.console import Console
    from rich.table import Table

    from glueflake.config import load_config
    from glueflake.load import run_load
    from glueflake.pipeline import dbt_settings
    from glueflake.transform import build

    console = Console(width=120)
    root = (workdir or Path(tempfile.mkdtemp(prefix="glueflake-bench-payloads-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        rows, json_bytes = write_lake(root / "lake", payloads)
        config = load_config(write_config(root), environ={})
        loaded = run_load(config, progress=False)
        if loaded.aborted:
            console.print("[red]load aborted[/red]")
            return 1
        console.print(
            f"landed {payloads} changed payloads: {rows:,} rows, "
            f"{json_bytes / MB:,.1f} MB of JSON ({json_bytes / rows:,.0f} B a record) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        settings = dbt_settings(config)
        exclude = f"{NOT_COUNTRY_ONLY} resource_type:test resource_type:unit_test"
        summary = build(settings, select=MODELS, exclude=exclude, progress=False)
        names = sorted(n.name for n in summary.nodes if n.resource_type == "model")
        console.print(f"dbt built {len(names)} models (dev profile) in {summary.elapsed:.1f}s")
        peaks = profile_models(
            config.resolve_path(config.warehouse.path),
            settings.resolved_target_path / "compiled",
            names,
            root,
        )
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    table = Table(title="country models after the payloads", title_justify="left")
    for column in ("model", "rows", "peak MB", "spilled MB", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for peak in peaks:
        table.add_row(
            peak.name,
            f"{peak.rows:,}",
            f"{peak.peak_mb:,.1f}",
            f"{peak.spilled_mb:,.1f}",
            f"{peak.seconds:.2f}",
        )
    console.print(table)
    top = max(peaks, key=lambda p: p.peak_mb)
    line = (
        f"payload memory: peak {top.peak_mb:.1f} MB ({top.name}) after {payloads} payloads "
        f"of {rows // payloads} records, limit {MEMORY_LIMIT_MB} MB"
    )
    print(line)
    if top.peak_mb >= MEMORY_LIMIT_MB or any(p.spilled_mb for p in peaks):
        console.print("[bold red]a model reached the memory limit or spilled[/bold red]")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench.payloads``."""
    parser = argparse.ArgumentParser(prog="python -m bench.payloads", description=__doc__)
    parser.add_argument("--payloads", type=int, default=100, help="changed payloads landed")
    parser.add_argument("--workdir", type=Path, help="work directory (default: a new tmp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    if args.payloads < 1:
        parser.error("--payloads must be at least 1")
    return run(args.payloads, args.workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
