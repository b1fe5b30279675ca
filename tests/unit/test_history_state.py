"""--json documents, the run history and `state show|reset` (issue 17), without dbt.

The stages are replaced by fakes returning fixed summaries, so each command's JSON
and history are checked in-process in well under a second.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from glueflake import extract, load, pipeline
from glueflake.cli import app
from glueflake.config import load_config
from glueflake.errors import ExtractError
from glueflake.extract import EntityResult, ExtractSummary, read_bookmark
from glueflake.extract.incremental import Bookmark, write_bookmark
from glueflake.history import list_runs
from glueflake.lake import LocalStore
from glueflake.load import EntityLoadResult, EntityStatus, LoadSummary, StatusReport
from glueflake.transform import BuildSummary, NodeResult

CONFIG = {
    "version": 1,
    "lake": {"url": "lake"},
    "warehouse": {"type": "duckdb", "path": "w.duckdb"},
    "sources": {
        "shop": {
            "base_url": "http://127.0.0.1:9",
            "endpoints": {
                "orders": {
                    "path": "/orders",
                    "primary_key": "id",
                    "incremental": {
                        "cursor_field": "updated_at",
                        "param": "since",
                        "initial": "2020-01-01T00:00:00Z",
                    },
                },
                "plain": {"path": "/plain", "primary_key": "id"},
            },
        }
    },
}
EXTRACTED = ExtractSummary(
    "20261203T000000.000Z-abcdef", [EntityResult("shop", "orders", records=7)]
)
LOADED = LoadSummary("l1", [EntityLoadResult("shop", "orders", rows_loaded=7)])
STATUS = StatusReport("lake", "w", [EntityStatus("shop", "orders", lake_records=7, landing_rows=7)])
BUILT = BuildSummary(
    nodes=(
        NodeResult("model.glueflake.raw_shop__orders", "raw_shop__orders", "model", "pass"),
        NodeResult("test.glueflake.unique_x", "unique_x", "test", "pass"),
        NodeResult("test.glueflake.not_null_x", "not_null_x", "test", "fail", failures=2),
    ),
    elapsed=1.5,
    success=False,
    target="dev",
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pipeline.yml").write_text(yaml.safe_dump(CONFIG))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GLUEFLAKE_JSON", raising=False)
    monkeypatch.setattr(extract, "run_extract", lambda config, **kw: EXTRACTED)
    monkeypatch.setattr(load, "run_load", lambda config, **kw: LOADED)
    monkeypatch.setattr(load, "lake_status", lambda config, **kw: STATUS)
    monkeypatch.setattr(pipeline, "transform", lambda config, **kw: BUILT)
    return tmp_path


def _json(args: list[str]) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def test_extract_load_status_json_are_one_document_each(project: Path) -> None:
    code, doc = _json(["extract", "--json", "--no-progress"])
    assert code == 0
    assert doc["kind"] == "glueflake.extract" and doc["version"] == 1
    assert doc["totals"]["records"] == 7 and doc["results"][0]["entity"] == "orders"
    code, doc = _json(["load", "--json", "--no-progress"])
    assert (code, doc["kind"], doc["totals"]["rows_loaded"], doc["aborted"]) == (
        0,
        "glueflake.load",
        7,
        False,
    )
    code, doc = _json(["status", "--json"])
    assert doc["kind"] == "glueflake.status" and doc["entities"][0]["landing_rows"] == 7


def test_run_json_and_the_history_file_hold_stages_counts_and_failures(project: Path) -> None:
    code, doc = _json(["run", "--json", "--no-progress"])
    assert code == 0  # the fake build is returned, not raised
    assert list(doc) == [
        "kind",
        "version",
        "run_id",
        "started_at",
        "finished_at",
        "ok",
        "error",
        "seconds",
        "extract",
        "load",
        "status",
        "build",
        "warnings",
    ]
    assert doc["run_id"] == EXTRACTED.run_id
    assert doc["build"]["counts"]["test"] == {"passed": 1, "failed": 1, "warned": 0, "skipped": 0}
    assert doc["build"]["failed_nodes"] == ["test.glueflake.not_null_x"]
    saved = project / ".glueflake" / "runs" / f"{EXTRACTED.run_id}.json"
    assert json.loads(saved.read_text()) == doc
    listed = CliRunner().invoke(app, ["runs"])
    assert EXTRACTED.run_id in listed.stdout and "1/2" in listed.stdout


def test_a_run_that_raises_is_recorded_as_failed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(config: Any, **kw: Any) -> Any:
        raise ExtractError("shop.orders: GET /orders failed after 6 attempts")

    monkeypatch.setattr(extract, "run_extract", boom)
    result = CliRunner().invoke(app, ["run", "--no-progress"])
    assert result.exit_code == 1
    (run,) = list_runs(load_config(project / "pipeline.yml"))
    assert run["ok"] is False and "failed after 6 attempts" in run["error"]


def test_state_show_and_reset(project: Path) -> None:
    store = LocalStore(project / "lake")
    write_bookmark(store, "shop", "orders", Bookmark("updated_at", "2026-05-01T00:00:00Z", [1]))
    shown = CliRunner().invoke(app, ["state", "show", "shop.orders"])
    assert "updated_at >= 2026-05-01T00:00:00Z" in shown.stdout
    refused = CliRunner().invoke(app, ["state", "reset", "shop.orders"], input="n\n")
    assert refused.exit_code == 1
    assert "re-reads shop.orders from 2020-01-01T00:00:00Z" in refused.output
    assert read_bookmark(store, "shop", "orders").value == "2026-05-01T00:00:00Z"  # type: ignore[union-attr]
    done = CliRunner().invoke(app, ["state", "reset", "shop.orders", "--yes"])
    assert done.exit_code == 0, done.output
    after = read_bookmark(store, "shop", "orders")
    assert after is not None and (after.value, after.ids) == ("2020-01-01T00:00:00Z", [])
    plain = CliRunner().invoke(app, ["state", "reset", "shop.plain", "--yes"])
    assert plain.exit_code == 2 and "not incremental" in plain.output
    assert "not incremental" in CliRunner().invoke(app, ["state", "show", "shop.plain"]).stdout
    assert CliRunner().invoke(app, ["state", "show", "shop"]).exit_code == 2


def test_started_at_is_utc() -> None:
    from glueflake.history import run_doc

    doc = run_doc(None, started_at=datetime(2026, 1, 1, tzinfo=UTC), run_id="x", error="e")
    assert doc["started_at"] == "2026-01-01T00:00:00+00:00" and doc["ok"] is False
