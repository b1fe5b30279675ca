"""`glueflake run` when dbt fails part-way, and when an entity has no model (issue 17).

The raw rows of the models that built and dbt's pass/fail/skip counts stay in the
run's table (they were '-' and missing); an extracted entity that no dbt model
reads is named in a warning.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from glueflake import extract, load, pipeline
from glueflake.config import PipelineConfig
from glueflake.extract import EntityResult, ExtractSummary
from glueflake.load import EntityLoadResult, LoadSummary
from glueflake.transform import BuildSummary, DbtFailure, NodeResult
from glueflake.transform.coverage import unread_entities

ORDERS = NodeResult("model.glueflake.raw_shop__orders", "raw_shop__orders", "model", "pass", 42)
FACT = NodeResult("model.glueflake.fct_orders", "fct_orders", "model", "error", message="boom")
SKIPPED = NodeResult("model.glueflake.fct_daily", "fct_daily", "model", "skipped")
FAILED = BuildSummary(nodes=(ORDERS, FACT, SKIPPED), elapsed=2.0, success=False, target="dev")


def _config(tmp_path: Path) -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "lake": {"url": str(tmp_path / "lake")},
            "dbt": {"target_path": str(tmp_path / "target")},
            "sources": {
                "shop": {
                    "base_url": "http://127.0.0.1:9",
                    "endpoints": {
                        "orders": {"path": "/o", "primary_key": "id"},
                        "refunds": {"path": "/r", "primary_key": "id"},
                    },
                }
            },
            "base_dir": tmp_path,
        }
    )


def test_a_failed_build_keeps_what_built_and_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(config: Any, **kw: Any) -> Any:
        raise DbtFailure(command="build", failed=(FACT,), summary=FAILED)

    extracted = ExtractSummary("r", [EntityResult("shop", "orders", records=42)])
    monkeypatch.setattr(extract, "run_extract", lambda config, **kw: extracted)
    monkeypatch.setattr(
        load,
        "run_load",
        lambda config, **kw: LoadSummary("l", [EntityLoadResult("shop", "orders")]),
    )
    monkeypatch.setattr(load, "lake_status", lambda config, **kw: None)
    monkeypatch.setattr(pipeline, "transform", fail)
    result = pipeline.run_pipeline(_config(tmp_path), progress=False)
    assert not result.ok
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(result)
    text = console.export_text()
    row = next(
        line.split() for line in text.splitlines() if line.lstrip().startswith("shop.orders")
    )
    assert row[-1] == "42"  # raw rows of the model that built
    assert "1/3 models passed (1 failed, 1 skipped)" in " ".join(text.split())
    assert "failed: " in text and "fct_orders" in text


def test_entities_no_model_reads_are_named(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "sources": {
                    "source.p.landing.shop__orders": {
                        "source_name": "landing",
                        "name": "shop__orders",
                    },
                    "source.p.landing.shop__refunds": {
                        "source_name": "landing",
                        "name": "shop__refunds",
                    },
                },
                "child_map": {
                    "source.p.landing.shop__orders": ["model.p.raw_shop__orders"],
                    "source.p.landing.shop__refunds": ["test.p.not_null_record"],
                },
            }
        )
    )
    entities = [("shop", "orders"), ("shop", "refunds"), ("shop", "payouts")]
    assert unread_entities(manifest, entities) == [
        "shop.refunds: no dbt model reads source('landing', 'shop__refunds')",
        "shop.payouts: no dbt source declares landing.shop__payouts, so no model reads it "
        "(glueflake add-source writes one)",
    ]
    assert unread_entities(tmp_path / "missing.json", entities) == []
