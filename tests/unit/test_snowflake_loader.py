"""The Snowflake loader's pure parts: COPY result mapping and the snowpipe wait.

fakesnow 0.11 has neither COPY_HISTORY() nor SYSTEM$PIPE_STATUS, so the snowpipe wait
runs here against a scripted cursor that answers those two queries.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from snowflake_fixtures import ScriptedConn, small_lake, snowflake_config
from snowflake_fixtures import ScriptedCursor as BaseCursor

from glueflake.errors import LoadError
from glueflake.load.snowflake.history import match_key as _match_key
from glueflake.load.snowflake.history import outcome as _outcome
from glueflake.load.snowflake.loader import wait_for_pipe
from glueflake.load.snowflake.sql import snowflake_objects
from glueflake.load.types import FileStatus


def test_copy_result_rows_map_to_ledger_outcomes() -> None:
    row = {
        "file": "s3://b/lake/raw/shop/orders/x.ndjson.gz",
        "status": "PARTIALLY_LOADED",
        "rows_parsed": 10,
        "rows_loaded": 8,
        "errors_seen": 2,
        "first_error": "Error parsing JSON",
        "first_error_line": 4,
    }
    key = _match_key(row["file"], ["raw/shop/orders/x.ndjson.gz"])
    assert key == "raw/shop/orders/x.ndjson.gz"
    out = _outcome(key, row)
    assert (out.status, out.rows_loaded, out.rows_rejected, out.first_error_line) == (
        FileStatus.PARTIALLY_LOADED,
        8,
        2,
        4,
    )
    history = {
        "file_name": key,
        "status": "Load failed",
        "row_count": 0,
        "row_parsed": 3,
        "first_error_message": "bad",
        "first_error_line_number": 1,
    }
    assert _outcome(key, history).status is FileStatus.LOAD_FAILED
    assert _match_key("Copy executed with 0 files processed.", [key]) is None


class ScriptedCursor(BaseCursor):
    """Answers COPY_HISTORY with the files 'loaded' so far, and SYSTEM$PIPE_STATUS."""

    def __init__(self, batches: list[list[str]], state: str = "RUNNING") -> None:
        super().__init__()
        self.batches = batches
        self.state = state
        self.polls = 0

    def answer(self, sql: str) -> None:
        if "copy_history" in sql:
            loaded = [k for batch in self.batches[: self.polls + 1] for k in batch]
            self.polls += 1
            self.description = [
                (c,)
                for c in (
                    "FILE_NAME",
                    "STATUS",
                    "ROW_COUNT",
                    "ROW_PARSED",
                    "FIRST_ERROR_MESSAGE",
                    "FIRST_ERROR_LINE_NUMBER",
                )
            ]
            self.rows = [(k, "Loaded", 3, 3, None, None) for k in loaded]
        else:
            self.description = [("STATUS",)]
            self.rows = [(json.dumps({"executionState": self.state, "pendingFileCount": 1}),)]


def _orders(tmp_path: Path) -> tuple[Any, Any, list[str]]:
    cfg = snowflake_config(tmp_path, mode="snowpipe")
    store, _ = small_lake(tmp_path / "lake")
    keys = sorted(
        i.key for i in store.list("raw/shop/orders/ingest_date=") if "0rphan" not in i.key
    )
    return snowflake_objects(cfg), store, keys


def test_snowpipe_wait_returns_when_every_committed_file_is_loaded(tmp_path: Path) -> None:
    objects, store, keys = _orders(tmp_path)
    cursor = ScriptedCursor([[keys[0]], [], [keys[1]]])
    now = [0.0]
    res = wait_for_pipe(
        ScriptedConn(cursor),
        objects,
        objects.entity("shop", "orders"),
        store,
        timeout=60,
        poll=5,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert sorted(f.key for f in res.files) == keys
    assert cursor.polls == 3
    assert "table_name => 'GLUEFLAKE.LANDING.SHOP__ORDERS'" in cursor.sql[0]


def test_snowpipe_wait_times_out_naming_missing_files(tmp_path: Path) -> None:
    objects, store, keys = _orders(tmp_path)
    now = [0.0]
    with pytest.raises(LoadError, match=rf"has not loaded 1 committed file\(s\): {keys[1]}"):
        wait_for_pipe(
            ScriptedConn(ScriptedCursor([[keys[0]]])),
            objects,
            objects.entity("shop", "orders"),
            store,
            timeout=30,
            poll=10,
            clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + s),
        )


def test_snowpipe_wait_fails_fast_on_a_paused_pipe(tmp_path: Path) -> None:
    objects, store, _ = _orders(tmp_path)
    with pytest.raises(LoadError, match="pipe is PAUSED"):
        wait_for_pipe(
            ScriptedConn(ScriptedCursor([[]], state="PAUSED")),
            objects,
            objects.entity("shop", "orders"),
            store,
            timeout=30,
        )


def test_an_unreadable_manifest_fails_naming_it(tmp_path: Path) -> None:
    from glueflake.load.discover import read_manifests

    store, _ = small_lake(tmp_path / "lake")
    bad = "raw/shop/orders/_manifests/20991231T000000Z-ffffff-00000.json"
    store.put(bad, b"{")
    with pytest.raises(LoadError, match=bad):
        read_manifests(store, "shop", "orders")
