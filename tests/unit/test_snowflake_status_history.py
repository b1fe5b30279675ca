"""Snowflake status from COPY_HISTORY rows, against a scripted cursor.

fakesnow 0.11 has no COPY_HISTORY(), so the production query and the rows only real
Snowflake produces (mixed-case statuses, partial loads with rejected rows, loads in
progress, stage-relative file names, files older than the 14-day window) are checked
here; the offline route (LOAD_HISTORY under fakesnow) runs in
tests/integration/test_snowflake_status.py.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from snowflake_fixtures import ScriptedConn, small_lake, snowflake_config
from snowflake_fixtures import ScriptedCursor as BaseCursor
from snowflake_lines_copy import snowflake_status

from glueflake.lake import ObjectInfo
from glueflake.load.discover import CommittedFile
from glueflake.load.snowflake import JsonCopy
from glueflake.load.snowflake.history import HISTORY_WINDOW, load_record
from glueflake.load.types import FileStatus

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
HISTORY = (
    "FILE_NAME",
    "STATUS",
    "ROW_COUNT",
    "ROW_PARSED",
    "FIRST_ERROR_MESSAGE",
    "FIRST_ERROR_LINE_NUMBER",
    "LAST_LOAD_TIME",
)


def _file(key: str, etag: str = "e1") -> CommittedFile:
    return CommittedFile(
        key=key, run_id="r", records=3, bytes=10, sha256="s", etag=etag, manifest_key="m"
    )


def _info(key: str, etag: str = "e1", modified: datetime = T0) -> ObjectInfo:
    return ObjectInfo(key=key, size=10, etag=etag, last_modified=modified)


def _row(key: str, status: str, count: int, parsed: int | None, at: datetime) -> dict[str, Any]:
    return dict(
        zip([c.lower() for c in HISTORY], [key, status, count, parsed, None, None, at], strict=True)
    )


def test_latest_final_history_row_wins_and_in_progress_is_ignored() -> None:
    a, b, c = "raw/s/e/ingest_date=2026-11-28/a.ndjson.gz", "raw/s/e/b", "raw/s/e/c"
    files = [_file(a), _file(b), _file(c)]
    listing = {k: _info(k) for k in (a, b, c)}
    later = T0 + timedelta(hours=2)
    history = [
        _row(f"s3://bucket/lake/{a}", "Partially loaded", 8, 10, T0 + timedelta(hours=1)),
        _row(a, "Loaded", 10, 10, later),  # a --force reload, later: it wins
        _row(b, "Load failed", 0, 3, T0 + timedelta(hours=1)),
        _row(c, "Load in progress", 0, None, later),
    ]
    ledger = load_record(files, listing, history, landing={})
    assert set(ledger) == {a, b}  # c is still loading: pending
    assert (ledger[a].status, ledger[a].rows_loaded, ledger[a].loaded_at) == (
        FileStatus.LOADED,
        10,
        later,
    )
    assert (ledger[b].status, ledger[b].rows_loaded, ledger[b].rows_rejected) == (
        FileStatus.LOAD_FAILED,
        0,
        3,
    )


def test_landing_rows_stand_in_for_history_older_than_the_window() -> None:
    a = "raw/s/e/a"
    at = T0 + timedelta(minutes=5)
    ledger = load_record([_file(a)], {a: _info(a)}, history=[], landing={a: (7, at)})
    assert (ledger[a].status, ledger[a].rows_loaded, ledger[a].rows_rejected) == (
        FileStatus.LOADED,
        7,
        0,
    )
    assert ledger[a].loaded_at == at


def test_recorded_etag_is_the_current_one_only_if_loaded_after_the_last_write() -> None:
    a = "raw/s/e/a"
    rewritten = _info(a, etag="e2", modified=T0 + timedelta(hours=1))
    before = load_record([_file(a)], {a: rewritten}, [_row(a, "Loaded", 3, 3, T0)], {})
    assert before[a].etag == "e1"  # loaded before the rewrite: the manifest's etag
    after = load_record(
        [_file(a)], {a: rewritten}, [_row(a, "Loaded", 3, 3, T0 + timedelta(hours=2))], {}
    )
    assert after[a].etag == "e2"  # a forced reload read the rewrite


class ScriptedCursor(BaseCursor):
    """Answers the status queries: tables, COPY_HISTORY, landing per file, count(*)."""

    def __init__(self, history: dict[str, list[tuple[Any, ...]]]) -> None:
        super().__init__()
        self.history = history

    def answer(self, sql: str) -> None:
        if "information_schema.tables" in sql:
            self.description, self.rows = [("TABLE_NAME",)], [("SHOP__ORDERS",)]
        elif "copy_history" in sql:
            table = sql.split("table_name => '", 1)[1].split("'", 1)[0]
            self.description = [(c,) for c in HISTORY]
            self.rows = self.history.get(table, [])
        elif "group by _file_name" in sql:
            self.description = [("_FILE_NAME",), ("COUNT(*)",), ("MAX(_LOADED_AT)",)]
            self.rows = [(r[0], r[2], r[6]) for r in self.history["GLUEFLAKE.LANDING.SHOP__ORDERS"]]
        elif "count(*)" in sql:
            self.description = [("COUNT(*)",)]
            self.rows = [(sum(r[2] for r in self.history["GLUEFLAKE.LANDING.SHOP__ORDERS"]),)]
        else:
            raise AssertionError(f"unexpected query: {sql}")


def test_status_reads_copy_history_of_each_landing_table(tmp_path: Path) -> None:
    cfg = snowflake_config(tmp_path)
    store, _ = small_lake(tmp_path / "lake")
    keys = sorted(
        i.key for i in store.list("raw/shop/orders/ingest_date=") if "0rphan" not in i.key
    )
    at = datetime.now(UTC)
    cursor = ScriptedCursor(
        {
            "GLUEFLAKE.LANDING.SHOP__ORDERS": [
                # COPY_HISTORY names files relative to the stage (the lake root).
                (keys[0], "Partially loaded", 5, 7, "Error parsing JSON", 3, at),
                (keys[1], "Loaded", 3, 3, None, None, at - timedelta(minutes=1)),
            ]
        }
    )
    now = datetime.now(UTC)
    report = snowflake_status(
        cfg,
        store=store,
        connection=ScriptedConn(cursor),
        strategy=JsonCopy(),
        now=now,
        orphan_grace=timedelta(0),
    )
    orders = report.entity("shop.orders")
    assert (orders.loaded_files, orders.loaded_rows, orders.rejected_rows) == (2, 8, 2)
    assert (orders.pending_files, orders.landing_rows, orders.orphaned_files) == (0, 8, 1)
    assert orders.last_loaded_at == at
    # No landing table for the others: nothing queried for them, all pending.
    customers = report.entity("shop.customers")
    assert (customers.pending_files, customers.landing_rows) == (2, None)
    history_sql = [s for s in cursor.sql if "copy_history" in s]
    assert len(history_sql) == 1
    assert "from table(GLUEFLAKE.information_schema.copy_history(" in history_sql[0]
    assert "table_name => 'GLUEFLAKE.LANDING.SHOP__ORDERS'" in history_sql[0]
    start = (now - HISTORY_WINDOW).strftime("%Y-%m-%d %H:%M:%S +0000")
    assert f"start_time => to_timestamp_ltz('{start}')" in history_sql[0]
