"""Schema drift at load: fields appearing in or vanishing from an entity's records.

Real DuckDB loads of lake files whose records gain and lose top-level fields. The
loader records each change in ``_glueflake.schema_history`` with the file from which
on it holds, reports it in the load summary and in `glueflake status`, and never
alters a record.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lake_builder import LakeBuilder, lake_store, make_config, new_run_id, order, query
from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.load import lake_status, run_load
from glueflake.load.types import SchemaChange

pytestmark = pytest.mark.integration


def render(obj: object) -> str:
    console = Console(width=300, record=True)
    console.print(obj)
    return console.export_text()


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return make_config(tmp_path)


@pytest.fixture
def lake(cfg: PipelineConfig) -> LakeBuilder:
    return LakeBuilder(lake_store(cfg))


def with_discount(i: int) -> dict[str, object]:
    return {**order(i), "discount_code": "WINTER"}


def without_status(i: int) -> dict[str, object]:
    record = order(i)
    del record["status"]
    return record


def test_first_load_is_the_baseline_and_reports_nothing(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract([order(i) for i in range(3)])
    summary = run_load(cfg)
    assert summary.entities[0].schema_changes == []
    fields = query(
        cfg,
        "select field from _glueflake.schema_history where change = 'initial' order by field",
    )
    assert [f for (f,) in fields] == sorted(order(0))


def test_new_and_vanished_fields_are_reported_with_their_file(
    cfg: PipelineConfig, lake: LakeBuilder
) -> None:
    lake.extract([order(i) for i in range(3)], run_id=new_run_id())
    run_load(cfg)
    # one record of the second file has a field never seen; the third file lacks one
    second = lake.extract(
        [order(10), with_discount(11)],
        [without_status(20), without_status(21)],
        run_id=new_run_id(),
    )
    summary = run_load(cfg)
    first_key, second_key = (f.key for f in second.files)
    entity = summary.entities[0]
    assert entity.schema_changes == [
        SchemaChange("discount_code", "new", first_key),
        SchemaChange("discount_code", "gone", second_key),
        SchemaChange("status", "gone", second_key),
    ]
    text = render(summary)
    assert f"shop.orders: new field `discount_code` since file {first_key}" in text
    assert f"shop.orders: field gone `status` since file {second_key}" in text
    # a field coming back is told apart from a new one
    back = lake.extract([order(30)], run_id=new_run_id())
    again = run_load(cfg)
    assert again.entities[0].schema_changes == [SchemaChange("status", "back", back.files[0].key)]
    # status reports the latest changes; landing keeps the records as they came
    status = render(lake_status(cfg))
    assert "shop.orders: new field `discount_code`" in status
    assert "shop.orders: field back `status`" in status
    kept = query(
        cfg, "select record->>'discount_code' from landing.shop__orders where record->>'id' = '11'"
    )
    assert kept == [("WINTER",)]


def test_nothing_to_load_records_nothing(cfg: PipelineConfig, lake: LakeBuilder) -> None:
    lake.extract([order(1)])
    run_load(cfg)
    before = query(cfg, "select count(*) from _glueflake.schema_history")
    summary = run_load(cfg)
    assert summary.entities[0].schema_changes == []
    assert query(cfg, "select count(*) from _glueflake.schema_history") == before
