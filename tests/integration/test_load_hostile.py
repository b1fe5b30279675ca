"""Hostile input at load (issue 15): keyless records, lying manifests, a full disk,
a busy warehouse under --watch, young orphans. Each test failed before its fix."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lake_builder import (
    LakeBuilder,
    lake_store,
    landing_count,
    ledger,
    make_config,
    new_run_id,
    order,
    rejects,
)
from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.errors import LoadError
from glueflake.lake import ManifestFile
from glueflake.load import lake_status, run_load, watch_lake

pytestmark = pytest.mark.integration


def render(obj: object) -> str:
    console = Console(width=240, record=True, file=io.StringIO())
    console.print(obj)
    return console.export_text()


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return make_config(tmp_path)


@pytest.fixture
def lake(cfg: PipelineConfig) -> LakeBuilder:
    return LakeBuilder(lake_store(cfg))


# --- defect 2: a record without a usable primary key is rejected, never dropped -------

KEYLESS = {
    "missing": ({"status": "paid"}, "primary key field 'id' is missing"),
    "null": ({"id": None, "status": "paid"}, "primary key field 'id' is null"),
    "empty": ({"id": "", "status": "paid"}, "primary key field 'id' is empty"),
    "object": ({"id": {"a": 1}}, "primary key field 'id' is an object"),
    "array": ({"id": [1, 2]}, "primary key field 'id' is an array"),
}


@pytest.mark.parametrize("kind", sorted(KEYLESS))
def test_a_record_without_a_usable_key_is_rejected_with_file_line_and_reason(
    cfg: PipelineConfig, lake: LakeBuilder, kind: str
) -> None:
    record, reason = KEYLESS[kind]
    manifest = lake.extract([order(1), record, order(2)])
    summary = run_load(cfg)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 1)
    assert landing_count(cfg) == 2
    [(key, line, raw, why)] = rejects(cfg)
    assert (key, line) == (manifest.files[0].key, 2)
    assert why.startswith(reason)
    assert raw  # the record's text is kept
    assert ledger(cfg)[key][0] == "PARTIALLY_LOADED"


def test_a_keyless_record_aborts_the_entity_under_abort(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"shop": {"orders": "abort"}})
    lake = LakeBuilder(lake_store(cfg))
    manifest = lake.extract([order(1), {"id": None}])
    summary = run_load(cfg)
    assert summary.aborted
    error = summary.entities[0].error or ""
    assert manifest.files[0].key in error and "line 2" in error and "is null" in error
    assert landing_count(cfg) == 0


def test_keys_are_checked_on_the_single_pass_too(
    cfg: PipelineConfig, lake: LakeBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file of clean JSON objects goes the single pass; a null key must still not land.
    from glueflake.load.duckdb import loader

    seen: list[bool] = []
    real = loader._load_clean

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(loader, "_load_clean", spy)
    lake.extract([order(i) for i in range(5)] + [{"id": None, "x": 1}])
    run_load(cfg)
    assert seen == [False]  # refused, the staged path rejected it
    assert landing_count(cfg) == 5 and len(rejects(cfg)) == 1


# --- defect 5: manifests are verified, not trusted -----------------------------------


def _commit_lying(lake: LakeBuilder, **lie: Any) -> ManifestFile:
    run_id = new_run_id()
    entry = lake.write_file([order(i) for i in range(3)], run_id=run_id)
    lying = entry.model_copy(update=lie)
    lake.commit([lying], run_id=run_id)
    return lying


@pytest.mark.parametrize(
    ("lie", "why"),
    [
        ({"sha256": "0" * 64}, "does not hash to its manifest's sha256"),
        ({"records": 8}, "holds 3 lines where its manifest counts 8"),
    ],
    ids=["sha256-zeroed", "records-plus-5"],
)
def test_a_file_that_disagrees_with_its_manifest_is_reported_not_loaded(
    cfg: PipelineConfig, lake: LakeBuilder, lie: dict[str, Any], why: str
) -> None:
    entry = _commit_lying(lake, **lie)
    summary = run_load(cfg)
    assert summary.rows_loaded == 0 and landing_count(cfg) == 0
    result = summary.entities[0]
    assert (result.files_changed, result.changed_keys) == (1, [entry.key])
    assert f"CHANGED shop.orders: {entry.key} {why}; not loaded (use --force)" in render(summary)
    forced = run_load(cfg, force=True)
    assert forced.rows_loaded == 3 and landing_count(cfg) == 3


# --- defect 7 (loader): a failed commit is rolled back and one line ------------------


def test_a_commit_that_fails_is_rolled_back_as_a_load_error() -> None:
    from glueflake.load.duckdb.loader import _transaction

    class FullDisk:
        def __init__(self) -> None:
            self.sql: list[str] = []

        def execute(self, sql: str, *args: Any) -> None:
            self.sql.append(sql)
            if sql == "commit":
                raise duckdb.IOException(
                    'Could not write file "w.duckdb.wal": No space left on device'
                )

    con = FullDisk()
    with pytest.raises(LoadError) as info, _transaction(con):  # type: ignore[arg-type]
        pass
    assert "No space left on device" in str(info.value) and "rolled back" in str(info.value)
    assert con.sql == ["begin transaction", "commit", "rollback"]


# --- defect 8: load --watch skips a poll while the warehouse is locked ----------------


def test_watch_skips_a_poll_while_another_process_holds_the_warehouse(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    import subprocess
    import sys
    import time

    from glueflake.load.duckdb.connection import warehouse_path

    lake.extract([order(1)])
    path = warehouse_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))",
            str(path),
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    console = Console(record=True, width=300, file=io.StringIO())
    started = time.monotonic()
    stop = threading.Event()

    def until_loaded(cfg: PipelineConfig, **kwargs: Any) -> Any:
        summary = run_load(cfg, **kwargs)
        if summary.rows_loaded:
            stop.set()  # the file is in: the watch ends after this poll
        return summary

    try:
        result = watch_lake(
            cfg, interval=0.5, console=console, max_polls=30, load=until_loaded, stop=stop
        )
    finally:
        holder.wait(10)
    text = console.export_text()
    assert result.skipped_polls >= 1 and result.rows_loaded == 1
    assert "poll 1 skipped: warehouse" in text and "in use by another process" in text
    assert time.monotonic() - started < 30


# --- defect 10: an orphan shows at once as uncommitted (young) ------------------------


def test_status_shows_an_uncommitted_file_at_once_then_as_an_orphan(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract([order(1)])
    key = lake.orphan([order(2)])
    text = render(lake_status(cfg))
    assert f"uncommitted (young) shop.orders: {key}" in text
    lake.age(key, timedelta(hours=2))
    text = render(lake_status(cfg))
    assert f"orphan shop.orders: {key} (no committed manifest)" in text
    assert "uncommitted (young)" not in text
