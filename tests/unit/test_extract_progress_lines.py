"""Off a terminal, the extract's progress prints a line every few seconds (issue 17).

Before, a CI log saw nothing until every endpoint had finished.
"""

from __future__ import annotations

import io

from rich.console import Console

from glueflake.extract.progress import ExtractProgress
from glueflake.extract.totals import Totals


def test_off_a_terminal_a_line_per_heartbeat() -> None:
    now = [0.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100)
    with ExtractProgress(True, console, heartbeat=5.0, clock=lambda: now[0]) as progress:
        task = progress.endpoint("shop.orders")
        for _ in range(12):  # a page of 1,000 records every second
            now[0] += 1.0
            task.advance(1_000)
        task.done()
    lines = [line for line in out.getvalue().splitlines() if line.startswith("extract ")]
    assert lines == [
        "extract shop.orders: 5,000 records, 5 pages, 5s",
        "extract shop.orders: 10,000 records, 10 pages, 10s",
    ]
    assert "12,000 records" in out.getvalue()  # the final state, as before


def test_on_a_terminal_no_extra_lines() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    now = [0.0]
    with ExtractProgress(True, console, heartbeat=0.0, clock=lambda: now[0]) as progress:
        task = progress.endpoint("shop.orders")
        now[0] += 10
        task.advance(10)
        task.done()
    assert "extract shop.orders:" not in out.getvalue()


def _plain_lines(totals: Totals, pages: int, heartbeat: float) -> list[str]:
    """The lines off a terminal for a page of 1,000 records a second, `totals` known."""
    now = [0.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)
    with ExtractProgress(True, console, heartbeat=heartbeat, clock=lambda: now[0]) as progress:
        task = progress.endpoint("shop.orders")
        task.totals(totals)
        for _ in range(pages):
            now[0] += 1.0
            task.advance(1_000)
        task.done()
    return [line for line in out.getvalue().splitlines() if line.startswith("extract ")]


def test_a_known_total_shows_done_of_total_and_an_eta() -> None:
    # 10 of 20 pages done at 10 s: 10 s to go
    assert _plain_lines(Totals(pages=20), pages=10, heartbeat=5.0) == [
        "extract shop.orders: 5,000 records, 5/20 pages, 5s, ETA 0:00:15",
        "extract shop.orders: 10,000 records, 10/20 pages, 10s, ETA 0:00:10",
    ]


def test_a_records_total_drives_the_eta_over_a_pages_total() -> None:
    assert _plain_lines(Totals(pages=99, records=8_000), pages=4, heartbeat=4.0) == [
        "extract shop.orders: 4,000/8,000 records, 4/99 pages, 4s, ETA 0:00:04"
    ]
