"""The one table style of glueflake's summaries (extract, load, run).

A title on the left, a rule under the header and no outer frame (so a summary fits
80 columns), the name column on the left and every number right-aligned with
thousands separators; text columns (notes) last, on the left.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table


def summary_table(
    title: str, name: str, numbers: Sequence[str], texts: Sequence[str] = ()
) -> Table:
    """An empty summary table: column `name`, then the `numbers` columns, then `texts`."""
    table = Table(
        title=title,
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=0,  # the box already puts a space between columns
        pad_edge=False,
    )
    table.add_column(name, no_wrap=True)
    for column in numbers:
        table.add_column(column, justify="right", no_wrap=True)
    for column in texts:
        table.add_column(column, no_wrap=True)
    return table


def count(value: int | None) -> str:
    """A count as the summaries show it: ``12,345``, or ``-`` where unknown."""
    return "-" if value is None else f"{value:,}"
