"""The run summary shows cursor values as the API served them, brackets included."""

from __future__ import annotations

from rich.console import Console

from glueflake.extract.summary import EntityResult, ExtractSummary


def test_a_bookmark_with_brackets_is_shown_as_text() -> None:
    summary = ExtractSummary(
        run_id="r",
        results=[
            EntityResult(source="shop", entity="a", records=1, bookmark_after="v[/b]"),
            EntityResult(source="shop", entity="b", records=1, bookmark_after="[bold]x"),
        ],
    )
    console = Console(record=True, width=120)
    console.print(summary)
    text = console.export_text()
    assert "bookmark shop.a = v[/b] (advanced)" in text
    assert "bookmark shop.b = [bold]x (advanced)" in text
