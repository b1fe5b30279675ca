"""The DuckDB loader against a real lake directory and a real DuckDB file."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lake_builder import (
    LakeBuilder,
    Line,
    lake_store,
    landing_count,
    ledger,
    make_config,
    ndjson_gz,
    new_run_id,
    order,
    query,
    rejects,
)
from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.errors import LoadError
from glueflake.load import lake_status, run_load

pytestmark = pytest.mark.integration


def orders(start: int, n: int) -> list[dict[str, object]]:
    return [order(i) for i in range(start, start + n)]


def render(obj: object) -> str:
    console = Console(width=200, record=True)
    console.print(obj)
    return console.export_text()


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return make_config(tmp_path)


@pytest.fixture
def lake(cfg: PipelineConfig) -> LakeBuilder:
    return LakeBuilder(lake_store(cfg))


def test_landing_table_has_the_contract_columns_and_metadata(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    manifest = lake.extract(orders(0, 3), orders(3, 2))
    summary = run_load(cfg)
    assert summary.rows_loaded == 5 and not summary.aborted
    columns = query(
        cfg,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'landing' and table_name = 'shop__orders' order by ordinal_position",
    )
    assert columns == [
        ("record", "JSON"),
        ("_file_name", "VARCHAR"),
        ("_file_row_number", "BIGINT"),
        ("_file_last_modified", "TIMESTAMP WITH TIME ZONE"),
        ("_run_id", "VARCHAR"),
        ("_loaded_at", "TIMESTAMP WITH TIME ZONE"),
    ]
    rows = query(
        cfg,
        "select _file_name, _file_row_number, record ->> 'id', _run_id from landing.shop__orders "
        "order by _file_name, _file_row_number",
    )
    first, second = (f.key for f in manifest.files)
    assert rows == [
        (first, 1, "0", manifest.run_id),
        (first, 2, "1", manifest.run_id),
        (first, 3, "2", manifest.run_id),
        (second, 1, "3", manifest.run_id),
        (second, 2, "4", manifest.run_id),
    ]
    assert summary.entities[0].files_via_python == 0  # the fast path took clean files


def test_loading_twice_loads_each_file_once_and_the_second_run_is_a_no_op(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract(orders(0, 100), orders(100, 50))
    first = run_load(cfg)
    assert (first.files_loaded, first.rows_loaded) == (2, 150)
    second = run_load(cfg)
    assert second.nothing_to_load and second.rows_loaded == 0
    assert second.entities[0].files_up_to_date == 2
    assert "nothing to load" in render(second)
    assert landing_count(cfg) == 150
    assert {v[0] for v in ledger(cfg).values()} == {"LOADED"}
    lake.extract(orders(150, 10))
    third = run_load(cfg)
    assert (third.files_loaded, third.rows_loaded) == (1, 10)
    assert landing_count(cfg) == 160
    assert len(ledger(cfg)) == 3


BAD_FILE: list[Line] = [order(1), order(2), '{"id": 3, "status": ', order(4)]


def test_malformed_line_under_continue_loads_good_rows_and_rejects_the_bad_one(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    manifest = lake.extract(BAD_FILE)
    summary = run_load(cfg)
    key = manifest.files[0].key
    assert landing_count(cfg) == 3
    assert query(cfg, "select _file_row_number from landing.shop__orders order by 1") == [
        (1,),
        (2,),
        (4,),
    ]
    status, parsed, loaded, rejected, first_error, first_line, _ = ledger(cfg)[key]
    assert (status, parsed, loaded, rejected, first_line) == ("PARTIALLY_LOADED", 4, 3, 1, 3)
    assert first_error.startswith("line 3, column 21: malformed JSON")
    [(rkey, line, raw, reason)] = rejects(cfg)
    assert (rkey, line, raw) == (key, 3, '{"id": 3, "status": ')
    assert reason.startswith("column 21: malformed JSON")
    assert summary.entities[0].rows_rejected == 1


def test_malformed_line_under_skip_file_loads_nothing_of_that_file(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"shop": {"orders": "skip_file"}})
    lake = LakeBuilder(lake_store(cfg))
    bad = lake.extract(BAD_FILE)
    good = lake.extract(orders(10, 5))
    summary = run_load(cfg)
    assert landing_count(cfg) == 5
    assert {r[0] for r in query(cfg, "select distinct _file_name from landing.shop__orders")} == {
        good.files[0].key
    }
    status, parsed, loaded, rejected, first_error, first_line, _ = ledger(cfg)[bad.files[0].key]
    assert (status, parsed, loaded, rejected, first_line) == ("SKIPPED", 4, 0, 4, 3)
    assert first_error.startswith("line 3, column 21:")
    assert [(r[1], r[2]) for r in rejects(cfg)] == [(3, '{"id": 3, "status": ')]
    entity = summary.entities[0]
    assert (entity.files_loaded, entity.files_skipped, entity.rows_rejected) == (1, 1, 4)
    assert run_load(cfg).nothing_to_load  # a skipped file is not retried


def test_malformed_line_under_abort_commits_nothing_and_names_file_and_line(
    tmp_path: Path,
) -> None:
    cfg = make_config(tmp_path, {"shop": {"orders": "abort", "customers": "continue"}})
    lake = LakeBuilder(lake_store(cfg))
    lake.extract(orders(10, 5))
    bad = lake.extract(BAD_FILE)
    LakeBuilder(lake_store(cfg), entity="customers").extract(orders(0, 2))
    summary = run_load(cfg)
    assert summary.aborted
    entity = summary.entities[0]
    assert entity.error is not None
    assert bad.files[0].key in entity.error and "line 3, column 21" in entity.error
    assert landing_count(cfg) == 0
    assert ledger(cfg) == {} and rejects(cfg) == []
    assert len(summary.entities) == 1  # later entities are not attempted
    assert "ABORTED shop.orders" in render(summary)


def test_abort_makes_the_cli_exit_non_zero(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from glueflake.cli import app

    config = tmp_path / "pipeline.yml"
    config.write_text(
        "version: 1\n"
        "lake: {url: lake}\n"
        "warehouse: {type: duckdb, path: wh/warehouse.duckdb}\n"
        "sources:\n"
        "  shop:\n"
        "    base_url: demo\n"
        "    endpoints:\n"
        "      orders: {path: /api/orders, primary_key: id, on_error: abort}\n"
    )
    cfg = make_config(tmp_path, {"shop": {"orders": "abort"}})
    bad = LakeBuilder(lake_store(cfg)).extract(BAD_FILE)
    result = CliRunner().invoke(app, ["load", "-c", str(config), "--no-progress"])
    assert result.exit_code == 1
    assert bad.files[0].key in result.output and "line 3" in result.output
    assert landing_count(cfg) == 0


def test_non_object_json_lines_are_rejected_with_their_type(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract([order(1), "[1,2]", '"x"', "42", "null", order(2)])
    run_load(cfg)
    assert landing_count(cfg) == 2
    assert [(r[1], r[3]) for r in rejects(cfg)] == [
        (2, "column 1: not a JSON object (got an array)"),
        (3, "column 1: not a JSON object (got a string)"),
        (4, "column 1: not a JSON object (got a number)"),
        (5, "column 1: not a JSON object (got null)"),
    ]


def test_truncated_gzip_loads_lines_before_the_break_and_rejects_the_break(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lines = orders(0, 2000)
    size = len(ndjson_gz(lines))
    run_id = new_run_id()
    broken = lake.write_file(lines, run_id=run_id, truncate_to=size // 2)
    clean = lake.write_file(orders(5000, 10), run_id=run_id)
    lake.commit([broken, clean], run_id=run_id)
    summary = run_load(cfg)
    entry = ledger(cfg)[broken.key]
    status, parsed, loaded, rejected, first_error, first_line, _ = entry
    assert status == "PARTIALLY_LOADED"
    assert 0 < loaded < 2000 and rejected == 1 and parsed == loaded + 1
    assert first_line == loaded + 1 and "truncated gzip member" in first_error
    [(key, line, raw, reason)] = rejects(cfg)
    assert (key, line) == (broken.key, loaded + 1) and "truncated" in reason
    assert raw == "" or '{"id":'.startswith(raw[:6])
    ids = query(
        cfg,
        "select min(_file_row_number), max(_file_row_number), count(*), "
        "bool_and((record ->> 'id')::int = _file_row_number - 1) "
        "from landing.shop__orders where _file_name = ?",
        [broken.key],
    )
    assert ids == [(1, loaded, loaded, True)]
    assert ledger(cfg)[clean.key][:3] == ("LOADED", 10, 10)
    assert summary.entities[0].files_via_python == 1


def test_invalid_utf8_and_control_characters_are_bad_rows_not_crashes(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract([order(1), b'{"a": "\xff\xfe"}', '{"b": "\x01"}', order(2)])
    run_load(cfg)
    assert landing_count(cfg) == 2
    got = [(r[1], r[3].split(":")[0]) for r in rejects(cfg)]
    assert got == [(2, "byte 8"), (3, "column 8")]


def test_rewritten_file_is_reported_changed_and_force_reloads_without_duplicates(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    manifest = lake.extract(orders(0, 20))
    key = manifest.files[0].key
    run_load(cfg)
    lake.rewrite(key, orders(100, 7))
    summary = run_load(cfg)
    entity = summary.entities[0]
    assert entity.files_changed == 1 and entity.changed_keys == [key]
    assert summary.rows_loaded == 0 and landing_count(cfg) == 20
    assert "CHANGED shop.orders" in render(summary)
    assert lake_status(cfg).entity("shop.orders").changed_files == 1
    forced = run_load(cfg, force=True)
    assert forced.rows_loaded == 7 and landing_count(cfg) == 7
    assert query(cfg, "select min((record->>'id')::int) from landing.shop__orders") == [(100,)]
    assert len(ledger(cfg)) == 1 and ledger(cfg)[key][:3] == ("LOADED", 7, 7)
    assert run_load(cfg).nothing_to_load  # the new etag is now the recorded one
    # A copied lake keeps content, not etags: the reloaded content's hash decides.
    path = lake_store(cfg).local_path(key)
    assert path is not None
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    again = run_load(cfg)
    assert again.nothing_to_load and again.entities[0].files_changed == 0


def test_force_reload_replaces_rows_and_rejects(cfg: PipelineConfig, lake: LakeBuilder) -> None:
    lake.extract(BAD_FILE, orders(10, 3))
    run_load(cfg)
    run_load(cfg, force=True)
    assert landing_count(cfg) == 6
    assert len(rejects(cfg)) == 1 and len(ledger(cfg)) == 2


def test_orphan_file_is_never_loaded_and_status_reports_it_after_the_grace_period(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract(orders(0, 4))
    young = lake.orphan(orders(50, 3))
    old = lake.orphan(orders(60, 3), age=timedelta(hours=2))
    run_load(cfg)
    assert landing_count(cfg) == 4
    loaded_files = {r[0] for r in query(cfg, "select _file_name from landing.shop__orders")}
    assert young not in loaded_files and old not in loaded_files
    status = lake_status(cfg)
    entity = status.entity("shop.orders")
    assert (entity.orphaned_files, entity.in_flight_files) == (1, 1)
    assert entity.orphan_keys == [old]
    assert old in render(status)
    strict = lake_status(cfg, orphan_grace=timedelta(0)).entity("shop.orders")
    assert strict.orphaned_files == 2


def test_status_before_the_warehouse_exists_shows_everything_pending(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract(orders(0, 4), orders(4, 6))
    report = lake_status(cfg)
    entity = report.entity("shop.orders")
    assert (entity.lake_files, entity.lake_records, entity.pending_files) == (2, 10, 2)
    assert (entity.loaded_files, entity.landing_rows, entity.last_loaded_at) == (0, None, None)
    assert not report.warehouse_exists
    assert not Path(cfg.resolve_path("wh/warehouse.duckdb")).exists()
    run_load(cfg)
    after = lake_status(cfg).entity("shop.orders")
    assert (after.loaded_files, after.loaded_rows, after.landing_rows) == (2, 10, 10)
    assert after.pending_files == 0 and after.last_loaded_at is not None
    assert "shop.orders" in render(lake_status(cfg))


def test_only_selects_entities(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"shop": {"orders": "continue", "customers": "continue"}})
    LakeBuilder(lake_store(cfg)).extract(orders(0, 3))
    LakeBuilder(lake_store(cfg), entity="customers").extract(orders(0, 2))
    summary = run_load(cfg, only=["shop.customers"])
    assert [e.name for e in summary.entities] == ["shop.customers"]
    assert landing_count(cfg, "shop", "customers") == 2
    assert run_load(cfg).rows_loaded == 3


def test_missing_committed_file_is_reported_and_not_recorded(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    manifest = lake.extract(orders(0, 3), orders(3, 3))
    path = lake.store.local_path(manifest.files[1].key)
    assert path is not None
    path.unlink()
    summary = run_load(cfg)
    assert summary.entities[0].missing_keys == [manifest.files[1].key]
    assert landing_count(cfg) == 3 and len(ledger(cfg)) == 1


def test_a_warehouse_type_without_a_backend_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glueflake.config import SnowflakeWarehouse
    from glueflake.load import registry

    cfg = make_config(tmp_path).model_copy(
        update={"warehouse": SnowflakeWarehouse(type="snowflake", account="a", user="u")}
    )
    monkeypatch.delitem(registry.BACKENDS, "snowflake")
    with pytest.raises(LoadError, match=r"warehouse\.type: no loader for 'snowflake'"):
        run_load(cfg)


def test_bad_landing_schema_name_is_refused(tmp_path: Path) -> None:
    from glueflake.config import DuckDBWarehouse

    cfg = make_config(tmp_path)
    cfg = cfg.model_copy(
        update={"warehouse": DuckDBWarehouse(path="wh/w.duckdb", landing_schema='x"; drop')}
    )
    LakeBuilder(lake_store(cfg)).extract(orders(0, 1))
    with pytest.raises(LoadError, match=r"warehouse\.landing_schema"):
        run_load(cfg)


# --- the single pass and its fall-back to the staged path ------------------------------


@pytest.fixture
def single_pass(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per entity load, whether the single pass took it (True) or fell back."""
    from glueflake.load.duckdb import loader as duckdb_loader

    taken: list[bool] = []
    original = duckdb_loader._load_clean

    def spy(*args: Any, **kwargs: Any) -> Any:
        outcomes = original(*args, **kwargs)
        taken.append(outcomes is not None)
        return outcomes

    monkeypatch.setattr(duckdb_loader, "_load_clean", spy)
    return taken


def test_clean_files_load_in_one_pass_with_their_line_numbers(
    cfg: PipelineConfig, lake: LakeBuilder, single_pass: list[bool]
) -> None:
    spaced = ['  {"id": 7}', '\t{"id": 8}']  # JSON whitespace before the object is fine
    manifest = lake.extract(orders(0, 3), spaced, orders(3, 1))
    summary = run_load(cfg)
    assert single_pass == [True] and summary.rows_loaded == 6
    rows = query(
        cfg,
        "select _file_name, _file_row_number, record::varchar, _run_id "
        "from landing.shop__orders order by _file_name, _file_row_number",
    )
    keys = [f.key for f in manifest.files]
    assert [(r[0], r[1]) for r in rows] == [
        (keys[0], 1),
        (keys[0], 2),
        (keys[0], 3),
        (keys[1], 1),
        (keys[1], 2),
        (keys[2], 1),
    ]
    assert [r[2] for r in rows[3:5]] == spaced  # the line as written
    assert {r[3] for r in rows} == {manifest.run_id}
    assert {v[:4] for v in ledger(cfg).values()} == {
        ("LOADED", 3, 3, 0),
        ("LOADED", 2, 2, 0),
        ("LOADED", 1, 1, 0),
    }


@pytest.mark.parametrize(
    ("lines", "records"),
    [
        (orders(0, 5), 4),  # one line more than the manifest says
        (orders(0, 5), 6),  # one line fewer
        ([order(1), "", order(2)], 2),  # a blank line (not a record, not a reject)
    ],
    ids=["more-lines", "fewer-lines", "blank-line"],
)
def test_a_file_whose_lines_disagree_with_its_manifest_takes_the_staged_path(
    cfg: PipelineConfig,
    lake: LakeBuilder,
    single_pass: list[bool],
    lines: list[Any],
    records: int,
) -> None:
    run_id = new_run_id()
    clean = lake.write_file(orders(100, 3), run_id=run_id)
    odd = lake.write_file(lines, run_id=run_id, records=records)
    lake.commit([clean, odd], run_id=run_id)
    run_load(cfg)
    assert single_pass == [False]
    numbers = query(
        cfg,
        "select _file_name, list(_file_row_number order by _file_row_number) "
        "from landing.shop__orders group by 1",
    )
    expected = {clean.key: [1, 2, 3], odd.key: [n for n, x in enumerate(lines, 1) if x]}
    assert dict(numbers) == expected  # each row once, numbered as the staged path does


def test_a_bad_file_in_a_later_batch_rolls_back_the_earlier_batches_of_the_single_pass(
    cfg: PipelineConfig,
    lake: LakeBuilder,
    single_pass: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from glueflake.load.duckdb import loader as duckdb_loader

    monkeypatch.setattr(duckdb_loader, "BATCH_FILES", 1)
    lake.extract(orders(0, 4), orders(4, 4), BAD_FILE)
    summary = run_load(cfg)
    assert single_pass == [False]
    assert summary.rows_loaded == 11 and landing_count(cfg) == 11  # no row twice
    assert len(rejects(cfg)) == 1


def test_lines_longer_than_the_single_pass_reads_load_and_reject_under_the_memory_limit(
    cfg: PipelineConfig, lake: LakeBuilder, single_pass: list[bool]
) -> None:
    big = '{"big": "' + "x" * (12 << 20) + '"}'  # past the single pass's 8 MiB lines
    broken = '{"broken": "' + "y" * (20 << 20)  # a huge reject: its raw text is kept
    lake.extract([order(1), big, broken, order(2)])
    summary = run_load(cfg)
    assert single_pass == [False]
    assert summary.rows_loaded == 3 and landing_count(cfg) == 3
    [(_, line, raw, reason)] = rejects(cfg)
    assert (line, len(raw)) == (3, len(broken)) and "malformed JSON" in reason


def test_an_unreadable_manifest_fails_the_load_naming_it(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract(orders(0, 3))
    bad = "raw/shop/orders/_manifests/20991231T000000Z-ffffff-0.json"
    lake.store.put(bad, b'{"not": "a manifest"}')
    with pytest.raises(LoadError, match=bad):
        run_load(cfg)
    with pytest.raises(LoadError, match=bad):
        lake_status(cfg)
    assert landing_count(cfg) == 0
