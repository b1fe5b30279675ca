"""`glueflake status` on Snowflake, offline through fakesnow.

fakesnow 0.11 has no COPY_HISTORY(); the offline load route (`LinesCopy`) COPYs each
file into ``<table>__LINES``, and fakesnow records that COPY in
``INFORMATION_SCHEMA.LOAD_HISTORY``, which `LinesCopy.load_history` reads. So what runs
here is the status logic, the LOAD_HISTORY query, the landing-table queries and the
lake side; the COPY_HISTORY query itself is checked against a scripted cursor in
tests/unit/test_snowflake_status_history.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from snowflake_fixtures import (
    ENTITIES,
    Commit,
    fakesnow_gap,
    small_lake,
    snowflake_config,
    write_commit,
)
from snowflake_lines_copy import LinesCopy, run_snowflake_load, snowflake_status

from glueflake.config import PipelineConfig
from glueflake.deploy.snowflake import first_line, render, split_statements
from glueflake.lake import LocalStore
from glueflake.load.snowflake.sql import snowflake_objects
from glueflake.load.status import StatusReport

fakesnow = pytest.importorskip("fakesnow")
snowflake_connector = pytest.importorskip("snowflake.connector")

pytestmark = [pytest.mark.integration, pytest.mark.snowflake]

NO_GRACE = timedelta(0)


@pytest.fixture
def fake_conn() -> Iterator[Any]:
    with fakesnow.patch():
        conn = snowflake_connector.connect(user="offline", password="offline", account="offline")
        try:
            yield conn
        finally:
            conn.close()


def _create_landing(conn: Any, cfg: PipelineConfig, out: Path, lake_root: Path) -> None:
    """Run setup_stage_and_tables.sql (fakesnow gaps skipped), stage on the local lake."""
    render(cfg, out)
    cur = conn.cursor()
    for statement in split_statements((out / "setup_stage_and_tables.sql").read_text()):
        if fakesnow_gap(first_line(statement)) is None:
            cur.execute(statement)
    objects = snowflake_objects(cfg)
    cur.execute(f"create or replace stage {objects.stage} url = '{lake_root.as_uri()}/'")


@pytest.fixture
def lake(tmp_path: Path) -> tuple[LocalStore, dict[tuple[str, str], int]]:
    return small_lake(tmp_path / "lake")


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return snowflake_config(tmp_path)


def _status(cfg: PipelineConfig, store: LocalStore, conn: Any, **kw: Any) -> StatusReport:
    kw.setdefault("orphan_grace", NO_GRACE)
    return snowflake_status(cfg, store=store, connection=conn, strategy=LinesCopy(store), **kw)


def _load(cfg: PipelineConfig, store: LocalStore, conn: Any, **kw: Any) -> None:
    summary = run_snowflake_load(cfg, store=store, connection=conn, strategy=LinesCopy(store), **kw)
    assert not summary.aborted


def _text(report: StatusReport) -> str:
    buf = io.StringIO()
    Console(file=buf, width=80, force_terminal=False, color_system=None).print(report)
    return buf.getvalue()


def test_after_a_load_everything_is_loaded_and_nothing_pending(
    tmp_path: Path, cfg: PipelineConfig, lake: Any, fake_conn: Any
) -> None:
    store, counts = lake
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    before = datetime.now(UTC)
    _load(cfg, store, fake_conn)
    report = _status(cfg, store, fake_conn)

    files = {"restcountries.countries": 1, "shop.customers": 2, "shop.orders": 2}
    assert [e.name for e in report.entities] == [f"{s}.{e}" for s, e in ENTITIES]
    for (source, entity), records in counts.items():
        e = report.entity(f"{source}.{entity}")
        assert (e.lake_files, e.lake_records) == (files[e.name], records)
        assert (e.loaded_files, e.loaded_rows, e.landing_rows) == (files[e.name], records, records)
        assert (e.rejected_rows, e.pending_files, e.changed_files, e.missing_files) == (0, 0, 0, 0)
        assert e.last_loaded_at is not None and e.last_loaded_at >= before - timedelta(seconds=5)
    orders = report.entity("shop.orders")
    assert orders.orphaned_files == 1 and "0rphan" in orders.orphan_keys[0]  # never loaded
    assert report.entity("shop.customers").orphaned_files == 0

    text = _text(report)
    assert "shop.orders" in text and "orphan shop.orders:" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_new_commit_is_pending_until_loaded(
    tmp_path: Path, cfg: PipelineConfig, lake: Any, fake_conn: Any
) -> None:
    store, counts = lake
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    _load(cfg, store, fake_conn)
    new = ({"id": 8, "status": "placed", "updated_at": "2026-11-29T08:00:00Z"},) * 4
    write_commit(
        store,
        Commit("shop", "orders", "20261129T100000Z-eeeeee", (new,)),
        ingest=date(2026, 11, 29),
    )
    report = _status(cfg, store, fake_conn)
    orders = report.entity("shop.orders")
    assert (orders.lake_files, orders.lake_records) == (3, counts[("shop", "orders")] + 4)
    assert orders.pending_files == 1
    assert orders.loaded_files == 2 and orders.loaded_rows == counts[("shop", "orders")]
    assert orders.landing_rows == counts[("shop", "orders")]
    assert all(report.entity(f"{s}.{e}").pending_files == 0 for s, e in ENTITIES[:2])

    _load(cfg, store, fake_conn, only=["shop.orders"])
    orders = _status(cfg, store, fake_conn, only=["shop.orders"]).entity("shop.orders")
    assert (orders.pending_files, orders.loaded_files) == (0, 3)
    assert orders.loaded_rows == orders.landing_rows == counts[("shop", "orders")] + 4


def test_before_any_load(tmp_path: Path, cfg: PipelineConfig, lake: Any, fake_conn: Any) -> None:
    store, counts = lake
    # No landing tables yet: every committed file is pending, landing rows unknown.
    report = _status(cfg, store, fake_conn)
    for (source, entity), records in counts.items():
        e = report.entity(f"{source}.{entity}")
        assert (e.pending_files, e.lake_records, e.loaded_files) == (e.lake_files, records, 0)
        assert e.landing_rows is None and e.last_loaded_at is None
    assert not report.warehouse_exists
    assert "last load (UTC): never" in _text(report)
    # Empty landing tables: still all pending, zero rows.
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    report = _status(cfg, store, fake_conn)
    assert all(e.landing_rows == 0 and e.pending_files == e.lake_files for e in report.entities)


def test_rewritten_file_is_changed_and_force_reload_clears_it(
    tmp_path: Path, cfg: PipelineConfig, lake: Any, fake_conn: Any
) -> None:
    store, counts = lake
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    _load(cfg, store, fake_conn)
    key = next(i.key for i in store.list("raw/shop/orders/ingest_date=") if "cccccc" in i.key)
    store.put(key, store.get(key), overwrite=True)  # new etag, same content
    # Same content: like on DuckDB, a rewrite with the manifest's SHA-256 is not a change.
    assert _status(cfg, store, fake_conn).entity("shop.orders").changed_files == 0
    import gzip

    store.put(key, gzip.compress(b'{"id": 1, "status": "rewritten"}\n'), overwrite=True)
    orders = _status(cfg, store, fake_conn).entity("shop.orders")
    # Still loaded (its old rows are in the landing table), as the DuckDB ledger counts it.
    assert (orders.changed_files, orders.pending_files, orders.loaded_files) == (1, 0, 2)
    _load(cfg, store, fake_conn, only=["shop.orders"], force=True)
    orders = _status(cfg, store, fake_conn).entity("shop.orders")
    assert (orders.changed_files, orders.pending_files, orders.loaded_files) == (0, 0, 2)
    assert orders.landing_rows == orders.loaded_rows == 1 + 3  # the rewrite + the other file
    assert counts[("shop", "orders")] == 10


def test_beyond_the_history_window_the_landing_table_keeps_files_loaded(
    tmp_path: Path, cfg: PipelineConfig, lake: Any, fake_conn: Any
) -> None:
    """20 days on, the load history (14 days) has nothing: `_file_name` still counts."""
    store, counts = lake
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    _load(cfg, store, fake_conn)
    later = datetime.now(UTC) + timedelta(days=20)
    report = _status(cfg, store, fake_conn, now=later)
    for (source, entity), records in counts.items():
        e = report.entity(f"{source}.{entity}")
        assert (e.pending_files, e.loaded_files, e.loaded_rows) == (0, e.lake_files, records)
        assert e.last_loaded_at is not None  # from _loaded_at


def test_lake_status_dispatches_to_snowflake(
    tmp_path: Path,
    cfg: PipelineConfig,
    lake: Any,
    fake_conn: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`glueflake status`'s entry point: lake and connection from the config."""
    from glueflake.load import lake_status
    from glueflake.load.snowflake import backend as status_module

    store, counts = lake
    _create_landing(fake_conn, cfg, tmp_path / "snowflake", store.root)
    _load(cfg, store, fake_conn)
    (tmp_path / "local").mkdir()
    local_cfg = snowflake_config(tmp_path / "local", lake_url=str(store.root))
    # Production reads COPY_HISTORY, which fakesnow lacks: read the offline route's.
    monkeypatch.setattr(status_module, "JsonCopy", lambda: LinesCopy(store))
    # fakesnow.patch() answers the connector's connect(): the same in-memory account.
    report = lake_status(local_cfg, orphan_grace=NO_GRACE, only=["shop"])
    assert [e.name for e in report.entities] == ["shop.customers", "shop.orders"]
    assert report.entity("shop.orders").loaded_rows == counts[("shop", "orders")]
    assert all(e.pending_files == 0 for e in report.entities)
    assert report.warehouse == "snowflake offline GLUEFLAKE.LANDING"
