"""A third warehouse, defined here, plugged in through the registry alone.

`MemoryWarehouse` keeps landing rows and its ledger in a dict. Registering it (one
config model, one backend class) is all it takes for `glueflake load` and
`glueflake status` to run against it: nothing in run.py, pipeline.py or config.py
names it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from lake_builder import LakeBuilder, order
from rich.progress import Progress
from typer.testing import CliRunner

from glueflake import config as config_module
from glueflake.cli import app
from glueflake.config import OnError, PipelineConfig, WarehouseSettings
from glueflake.lake import LocalStore, ObjectInfo, ObjectStore
from glueflake.load import (
    CommittedFile,
    EntityLoadResult,
    EntityPlan,
    EntityStatus,
    FileStatus,
    LedgerEntry,
    entity_status,
    register_warehouse,
)
from glueflake.load import registry as load_registry

pytestmark = pytest.mark.integration

#: Each memory warehouse's tables by name: landing rows and ledger, per landing table.
TABLES: dict[str, dict[str, Any]] = {}


class MemoryWarehouseSettings(WarehouseSettings):
    """``warehouse: {type: memory, name: ...}``."""

    type: Literal["memory"]
    name: str = "default"


class MemoryWarehouse:
    """A warehouse in a dict: landing rows and one ledger entry per file."""

    dedupes_loads = False
    verifies_on_read = False

    def __init__(self, cfg: PipelineConfig) -> None:
        assert isinstance(cfg.warehouse, MemoryWarehouseSettings)
        self.name = cfg.warehouse.name
        self.tables: dict[str, Any] | None = None

    @property
    def location(self) -> str:
        return f"memory {self.name}"

    @property
    def exists(self) -> bool:
        return self.name in TABLES

    def connect(self, *, read_only: bool = False) -> None:
        self.tables = TABLES.get(self.name) if read_only else TABLES.setdefault(self.name, {})

    def close(self) -> None:
        self.tables = None

    def _table(self, source: str, entity: str) -> dict[str, Any]:
        assert self.tables is not None
        return self.tables.setdefault(f"{source}__{entity}", {"rows": [], "ledger": {}})

    def ledger(
        self,
        source: str,
        entity: str,
        committed: Sequence[CommittedFile],
        listing: Mapping[str, ObjectInfo],
    ) -> Mapping[str, LedgerEntry]:
        if self.tables is None:
            return {}
        return dict(self._table(source, entity)["ledger"])

    def load(
        self,
        plan: EntityPlan,
        on_error: OnError,
        *,
        store: ObjectStore,
        force: bool,
        load_id: str,
        bar: Progress | None = None,
    ) -> EntityLoadResult:
        table = self._table(plan.source, plan.entity)
        result = EntityLoadResult.from_plan(plan, on_error)
        for p in plan.pending:
            lines = gzip.decompress(store.get(p.file.key)).splitlines()
            table["rows"] = [r for r in table["rows"] if r["_file_name"] != p.file.key]
            table["rows"] += [
                {"record": json.loads(line), "_file_name": p.file.key, "_load_id": load_id}
                for line in lines
            ]
            table["ledger"][p.file.key] = LedgerEntry(
                p.file.key,
                p.info.etag,
                p.sha256,
                FileStatus.LOADED,
                len(lines),
                0,
                datetime.now(UTC),
            )
            result.files_loaded += 1
            result.rows_loaded += len(lines)
        return result

    def status(self, plan: EntityPlan) -> EntityStatus:
        rows = len(self._table(plan.source, plan.entity)["rows"]) if self.tables else None
        return entity_status(plan, rows)

    def dbt_settings(self) -> Mapping[str, Any]:
        return {}


@pytest.fixture
def memory_warehouse() -> Iterator[None]:
    """Register the memory warehouse for one test, then take it out again."""
    register_warehouse(MemoryWarehouseSettings, MemoryWarehouse)
    try:
        yield
    finally:
        load_registry.BACKENDS.pop("memory", None)
        config_module.WAREHOUSE_MODELS.pop("memory", None)
        PipelineConfig.model_rebuild(force=True)
        TABLES.clear()


def _config_file(tmp_path: Path, warehouse: Mapping[str, Any]) -> Path:
    raw = {
        "lake": {"url": str(tmp_path / "lake")},
        "warehouse": dict(warehouse),
        "sources": {
            "shop": {
                "base_url": "demo",
                "endpoints": {"orders": {"path": "/api/orders", "primary_key": "id"}},
            }
        },
    }
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_glueflake_load_and_status_run_on_a_registered_third_warehouse(
    tmp_path: Path, memory_warehouse: None
) -> None:
    config = _config_file(tmp_path, {"type": "memory", "name": "t1"})
    lake = LakeBuilder(LocalStore(tmp_path / "lake"))
    lake.extract([order(i) for i in range(5)], [order(i) for i in range(5, 8)])
    runner = CliRunner()

    first = runner.invoke(app, ["load", "--config", str(config), "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "shop.orders" in first.output
    rows = TABLES["t1"]["shop__orders"]["rows"]
    assert sorted(r["record"]["id"] for r in rows) == list(range(8))

    again = runner.invoke(app, ["load", "--config", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "nothing to load" in again.output
    assert len(TABLES["t1"]["shop__orders"]["rows"]) == 8  # each file once

    status = runner.invoke(app, ["status", "--config", str(config)])
    assert status.exit_code == 0, status.output
    assert "warehouse memory t1" in status.output
    assert "8" in status.output


def test_a_registered_warehouse_section_is_validated_by_its_model(
    tmp_path: Path, memory_warehouse: None
) -> None:
    config = _config_file(tmp_path, {"type": "memory", "nmae": "typo"})
    result = CliRunner().invoke(app, ["load", "--config", str(config)])
    assert result.exit_code == 2
    assert "warehouse.nmae: unknown field" in result.output  # the tag is not in the path


def test_an_unregistered_warehouse_type_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    config = _config_file(tmp_path, {"type": "memory"})
    result = CliRunner().invoke(app, ["load", "--config", str(config)])
    assert result.exit_code == 2
    assert "'duckdb', 'snowflake'" in result.output
