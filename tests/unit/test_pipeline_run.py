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
