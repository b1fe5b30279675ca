"""The load's progress display: per entity, rows (and files) loaded of the total.

The total is known before loading: each pending file's manifest counts its records.
Off a terminal (a CI log, a file) rich draws nothing, so each entity also prints
one plain line every `heartbeat` seconds while it loads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from glueflake.load.discover import PendingFile


class LoadProgress(Progress):
    """A rich `Progress` whose tasks count rows, with files as a field."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        heartbeat: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Show progress on `console` (default: stderr); off a terminal, a line per `heartbeat`."""
        console = console or Console(stderr=True)
        super().__init__(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:>12,.0f}/{task.total:,.0f} rows"),
            TextColumn("{task.fields[files]:>5,}/{task.fields[of_files]:,} files"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.heartbeat = None if console.is_terminal else heartbeat
        self.clock = clock
        self._last_line: dict[TaskID, float] = {}
        self._started: dict[TaskID, float] = {}

    def beat(self, task: TaskID) -> None:
        """Off a terminal, print the task's counts if `heartbeat` seconds have passed."""
        now = self.clock()
        started = self._started.setdefault(task, now)
        if self.heartbeat is None or now - self._last_line.setdefault(task, now) < self.heartbeat:
            return
        self._last_line[task] = now
        t = self._tasks[task]
        self.console.print(
            f"load {t.description}: {t.completed:,.0f}/{t.total or 0:,.0f} rows, "
            f"{t.fields.get('files', 0):,}/{t.fields.get('of_files', 0):,} files, "
            f"{now - started:.0f}s",
            highlight=False,
            markup=False,
        )


def start_entity(bar: Progress, name: str, pending: Sequence[PendingFile]) -> TaskID:
    """A task for one entity's pending files: its total is their records (the manifests')."""
    task = bar.add_task(
        name, total=sum(p.file.records for p in pending), files=0, of_files=len(pending)
    )
    if isinstance(bar, LoadProgress):
        bar.beat(task)
    return task


def files_done(bar: Progress, task: TaskID, batch: Sequence[PendingFile]) -> None:
    """Count a batch of files, and their records, as loaded."""
    done = next(t for t in bar.tasks if t.id == task).fields.get("files", 0) + len(batch)
    bar.update(task, advance=sum(p.file.records for p in batch), files=done)
    if isinstance(bar, LoadProgress):
        bar.beat(task)
