"""What `glueflake run` and `glueflake status` print, at the 80 columns of a non-TTY."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.extract import EntityResult, ExtractSummary
from glueflake.load import EntityLoadResult, EntityStatus, LoadSummary, StatusReport
from glueflake.pipeline import RunResult, dbt_settings

ENTITIES = (
    ("restcountries", "countries", 250),
    ("shop", "customers", 2_000),
    ("shop", "orders", 123_456),
)


def _render(obj: object, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(obj)
    return console.export_text()


def _rows(text: str) -> dict[str, list[str]]:
    """Table rows by their first cell (an entity name)."""
    names = {f"{s}.{e}" for s, e, _ in ENTITIES}
    return {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if (cells := line.split()) and cells[0] in names
    }


def test_run_table_fits_80_columns_with_entities_and_counts_whole() -> None:
    result = RunResult(
        extract=ExtractSummary("r1", [EntityResult(s, e, records=n) for s, e, n in ENTITIES]),
        load=LoadSummary(
            "l1", [EntityLoadResult(s, e, rows_loaded=n, rows_rejected=1) for s, e, n in ENTITIES]
        ),
        status=StatusReport(
            "lake",
            "warehouse",
            [EntityStatus(s, e, lake_records=n, landing_rows=n) for s, e, n in ENTITIES],
        ),
        seconds={"extract": 1.25, "load": 0.5},
    )
    text = _render(result)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    rows = _rows(text)
    assert rows["shop.orders"] == ["123,456", "123,456", "1", "123,456", "123,456", "-"]
    assert rows["restcountries.countries"] == ["250", "250", "1", "250", "250", "-"]
    assert "duration: extract 1.2s  load 0.5s" in text


def test_status_table_fits_80_columns_with_entities_and_counts_whole() -> None:
    report = StatusReport(
        "/some/lake",
        "/some/warehouse.duckdb",
        [
            EntityStatus(
                s,
                e,
                lake_files=3,
                lake_records=n,
                loaded_files=2,
                loaded_rows=n - 7,
                rejected_rows=7,
                landing_rows=n - 7,
                pending_files=1,
                orphaned_files=1 if e == "orders" else 0,
                orphan_keys=["raw/shop/orders/x.ndjson.gz"] if e == "orders" else [],
            )
            for s, e, n in ENTITIES
        ],
    )
    text = _render(report)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert "…" not in text
    rows = _rows(text)
    assert rows["shop.orders"] == ["3", "123,456", "2", "123,449", "7", "123,449", "1"]
    assert "last load (UTC): never" in text
    assert "shop.orders: 1 file(s) orphaned" in text
    assert "shop.customers: " not in text.split("last load")[1]


def test_dbt_output_paths_come_from_the_config_relative_to_its_folder(tmp_path: Path) -> None:
    base = {
        "sources": {
            "s": {"base_url": "demo", "endpoints": {"e": {"path": "/e", "primary_key": "id"}}}
        }
    }
    plain = PipelineConfig.model_validate(
        {**base, "base_dir": tmp_path, "dbt": {"project_dir": "proj"}}
    )
    settings = dbt_settings(plain)
    assert settings.resolved_target_path == (tmp_path / "proj" / "target").resolve()
    assert settings.resolved_log_path == (tmp_path / "proj" / "logs").resolve()

    moved = PipelineConfig.model_validate(
        {
            **base,
            "base_dir": tmp_path,
            "dbt": {"project_dir": "proj", "target_path": "out/t", "log_path": "/var/tmp/l"},
        }
    )
    settings = dbt_settings(moved)
    assert settings.resolved_target_path == (tmp_path / "out" / "t").resolve()
    assert settings.resolved_log_path == Path("/var/tmp/l")


def test_status_names_each_entity_s_last_load_when_they_differ() -> None:
    same = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)
    report = StatusReport(
        "lake",
        "warehouse",
        [EntityStatus(s, e, last_loaded_at=same) for s, e, _ in ENTITIES],
    )
    assert "last load (UTC): 2026-03-01 10:00:00" in _render(report)
    report.entities[-1].last_loaded_at = None
    text = _render(report)
    assert "last load (UTC) shop.customers: 2026-03-01 10:00:00" in text
    assert "last load (UTC) shop.orders: never" in text
