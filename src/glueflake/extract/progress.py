"""Progress display: one rich task per endpoint showing records and pages (on stderr).

Off a terminal (a CI log, a file) rich draws nothing until the end, so each
endpoint also prints one plain line every `heartbeat` seconds while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


class EndpointProgress(Protocol):
    """What the extract loop reports per endpoint."""

    def advance(self, records: int, pages: int = 1) -> None:
        """Add fetched records and pages."""
        ...

    def done(self) -> None:
        """Mark the endpoint finished."""
        ...


class _NullTask:
    def advance(self, records: int, pages: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


class _RichTask:
    def __init__(
        self,
        progress: Progress,
        task: TaskID,
        *,
        name: str = "",
        heartbeat: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self.task = task
        self.pages = 0
        self.records = 0
        self.name = name
        self.heartbeat = heartbeat
        self.clock = clock
        self.started = self.last_line = clock()

    def advance(self, records: int, pages: int = 1) -> None:
        self.pages += pages
        self.records += records
        self.progress.update(self.task, advance=records, pages=self.pages)
        if self.heartbeat is not None:
            now = self.clock()
            if now - self.last_line >= self.heartbeat:
                self.last_line = now
                self.progress.console.print(
                    f"extract {self.name}: {self.records:,} records, {self.pages:,} pages, "
                    f"{now - self.started:.0f}s",
                    highlight=False,
                    markup=False,
                )

    def done(self) -> None:
        task = next(t for t in self.progress.tasks if t.id == self.task)
        self.progress.update(self.task, total=task.completed)
        self.progress.stop_task(self.task)


class ExtractProgress:
    """A context manager handing out one progress task per endpoint; silent if disabled."""

    def __init__(
        self,
        enabled: bool,
        console: Console | None = None,
        *,
        heartbeat: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Show progress on `console` (default: stderr) when `enabled`.

        Off a terminal, a line per endpoint every `heartbeat` seconds as well.
        """
        self._progress: Progress | None = None
        self._heartbeat: float | None = None
        self._clock = clock
        if enabled:
            console = console or Console(stderr=True)
            self._heartbeat = None if console.is_terminal else heartbeat
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:>12,.0f} records"),
                TextColumn("{task.fields[pages]:>7,} pages"),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )

    def __enter__(self) -> ExtractProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def endpoint(self, name: str) -> EndpointProgress:
        """A task for one endpoint."""
        if self._progress is None:
            return _NullTask()
        task = self._progress.add_task(name, total=None, pages=0)
        return _RichTask(
            self._progress, task, name=name, heartbeat=self._heartbeat, clock=self._clock
        )
