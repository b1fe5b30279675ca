"""Extract, load and run summaries share one table style (issue 17)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from glueflake.extract.summary import EntityResult, ExtractSummary
from glueflake.load.summary import EntityLoadResult, LoadSummary
from glueflake.pipeline import RunResult
from glueflake.tables import summary_table


def _style(table: Table) -> tuple[object, ...]:
    return (
        table.box,
        table.title_justify,
        table.show_edge,
        table.padding,
        table.pad_edge,
        [c.justify for c in table.columns[:1]],
    )


def test_extract_load_and_run_tables_share_the_style() -> None:
    extract = ExtractSummary("r1", [EntityResult("shop", "orders", pages=2, records=1_500)])
    load = LoadSummary("l1", [EntityLoadResult("shop", "orders", rows_loaded=1_500)])
    extract_table = extract.__rich__()
    load_group = load.__rich__()
    load_table = load_group.renderables[0]  # type: ignore[union-attr]
    run_table = RunResult(extract, load).__rich__().renderables[0]  # type: ignore[union-attr]
    assert isinstance(load_table, Table) and isinstance(run_table, Table)
    reference = _style(summary_table("t", "name", ("n",)))
    assert _style(extract_table) == _style(load_table) == _style(run_table) == reference
    for table in (extract_table, load_table, run_table):
        numbers = [c for c in table.columns[1:] if c.header not in ("note",)]
        assert numbers and all(c.justify == "right" for c in numbers)
        assert table.title_justify == "left"
    # numbers have thousands separators in both
    assert "1,500" in list(extract_table.columns[2].cells)
    assert "1,500" in list(load_table.columns[6].cells)
    assert list(run_table.columns[1].cells) == ["1,500"]


def test_the_tables_fit_80_columns_with_names_whole() -> None:
    name = ("restcountries", "countries")
    extract = ExtractSummary("r1", [EntityResult(*name, pages=68, records=67_049, bytes=3 << 20)])
    load = LoadSummary(
        "l1", [EntityLoadResult(*name, files_loaded=3, rows_loaded=67_049, rows_rejected=12)]
    )
    for summary in (extract, load, RunResult(extract, load)):
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(summary)
        text = console.export_text()
        assert "restcountries.countries" in text and "67,049" in text
        assert "…" not in text
