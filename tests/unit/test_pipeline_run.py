"""`glueflake run` shows what the load reported: an abort's file and line, changed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

import glueflake.extract
import glueflake.load
from glueflake import pipeline
from glueflake.config import Endpoint, PipelineConfig, Source
from glueflake.extract import ExtractSummary
from glueflake.load import EntityLoadResult, LoadSummary
from glueflake.transform import BuildSummary

KEY = "raw/shop/orders/ingest_date=2026-11-27/20261127T000000Z-abc123-00001.ndjson.gz"


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, entity: EntityLoadResult) -> str:
    """`run_pipeline` with a load that returns `entity`, printed as the CLI prints it."""
    config = PipelineConfig(
        sources={
            "shop": Source(
                base_url="demo", endpoints={"orders": Endpoint(path="/o", primary_key="id")}
            )
        },
        base_dir=tmp_path,
    )
    summary = LoadSummary(load_id="L", entities=[entity])
    monkeypatch.setattr(glueflake.extract, "run_extract", lambda *a, **k: ExtractSummary("R"))
    monkeypatch.setattr(glueflake.load, "run_load", lambda *a, **k: summary)
    monkeypatch.setattr(glueflake.load, "lake_status", lambda *a, **k: None)
    monkeypatch.setattr(pipeline, "transform", lambda *a, **k: None)
    result = pipeline.run_pipeline(config, progress=False)
    console = Console(width=300, record=True)
    console.print(result)
    return console.export_text()


def test_an_aborted_load_names_the_file_and_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    error = f"{KEY}: line 2, column 1: malformed JSON (on_error: abort)"
    entity = EntityLoadResult("shop", "orders", on_error="abort", aborted=True, error=error)
    text = _run(monkeypatch, tmp_path, entity)
    assert f"{KEY}: line 2" in text


def test_changed_and_missing_files_are_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = KEY.replace("00001", "00002")
    entity = EntityLoadResult(
        "shop", "orders", files_changed=1, changed_keys=[KEY], missing_keys=[other]
    )
    text = _run(monkeypatch, tmp_path, entity)
    assert f"CHANGED shop.orders: {KEY}" in text
    assert f"MISSING shop.orders: {other}" in text


def test_a_failed_build_is_not_recorded_so_the_next_run_rebuilds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from glueflake.errors import TransformError
    from glueflake.load.status import EntityStatus, StatusReport

    config = PipelineConfig(
        sources={
            "shop": Source(
                base_url="demo", endpoints={"orders": Endpoint(path="/o", primary_key="id")}
            )
        },
        base_dir=tmp_path,
    )
    rows = {"n": 10}
    monkeypatch.setattr(glueflake.extract, "run_extract", lambda *a, **k: ExtractSummary("R"))
    monkeypatch.setattr(
        glueflake.load,
        "run_load",
        lambda *a, **k: LoadSummary(
            load_id="L", entities=[EntityLoadResult("shop", "orders", rows_loaded=rows["n"])]
        ),
    )
    monkeypatch.setattr(
        glueflake.load,
        "lake_status",
        lambda *a, **k: StatusReport(
            "lake", "w.duckdb", [EntityStatus("shop", "orders", landing_rows=rows["n"])]
        ),
    )
    selects: list[str | None] = []

    def selected(options: pipeline.DbtOptions | None) -> str | None:
        return " ".join(options.select) if options and options.select else None

    def failing(*a: object, options: pipeline.DbtOptions | None = None, **k: object) -> None:
        selects.append(selected(options))
        raise TransformError("dbt build failed: 1 node(s) failed: fct_orders")

    monkeypatch.setattr(pipeline, "transform", failing)
    assert not pipeline.run_pipeline(config, progress=False).ok  # no record: builds all
    rows["n"] = 0  # the next run loads nothing new
    assert not pipeline.run_pipeline(config, progress=False).ok
    assert selects == [None, None]  # still no record of a good build: everything again

    def passing(
        *a: object, options: pipeline.DbtOptions | None = None, **k: object
    ) -> BuildSummary:
        selects.append(selected(options))
        return BuildSummary(nodes=(), elapsed=0.0, success=True, target="dev")

    monkeypatch.setattr(pipeline, "transform", passing)
    assert pipeline.run_pipeline(config, progress=False).ok
    after = pipeline.run_pipeline(config, progress=False)
    assert after.ok and after.build_skipped  # recorded: nothing changed since
    assert selects == [None, None, None]
    rows["n"] = 12  # orders landed: only what depends on them
    assert pipeline.run_pipeline(config, progress=False).ok
    assert selects[-1] == "source:landing.shop__orders+"
    rows["n"] = 0  # nothing new, but the user's own selection wins over "nothing changed"
    mine = pipeline.DbtOptions(select=("fct_orders",))
    assert pipeline.run_pipeline(config, progress=False, dbt=mine).ok
    assert selects[-1] == "fct_orders"
