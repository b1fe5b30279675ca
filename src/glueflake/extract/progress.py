"""Progress display: one rich task per endpoint showing records and pages (on stderr).

Where the API tells the endpoint's length (see `glueflake.extract.totals`), the
pages (or records) show as done / total, with an ETA from the rate so far.
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

from glueflake.extract.totals import Totals


class EndpointProgress(Protocol):
    """What the extract loop reports per endpoint."""

    def advance(self, records: int, pages: int = 1) -> None:
        """Add fetched records and pages."""
        ...

    def done(self) -> None:
        """Mark the endpoint finished."""
        ...

    def totals(self, totals: Totals) -> None:
        """What the API says the endpoint's length is."""
        ...


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02}:{seconds % 60:02}"


class _NullTask:
    def advance(self, records: int, pages: int = 1) -> None:
        pass

    def totals(self, totals: Totals) -> None:
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
        self.known = Totals()
        self.started = self.last_line = clock()

    def totals(self, totals: Totals) -> None:
        self.known = totals

    def fraction(self) -> float | None:
        """The share done, from the records total if known, else the pages total."""
        if self.known.records:
            return min(1.0, self.records / self.known.records)
        if self.known.pages:
            return min(1.0, self.pages / self.known.pages)
        return None

    def counts(self, now: float) -> tuple[str, str, str]:
        """Records and pages, each ``done/total`` where the total is known, and the ETA."""
        records, pages = f"{self.records:,}", f"{self.pages:,}"
        if self.known.records is not None:
            records += f"/{self.known.records:,}"
        if self.known.pages is not None:
            pages += f"/{self.known.pages:,}"
        share = self.fraction()
        eta = ""
        if share:
            eta = "ETA " + _duration((now - self.started) * (1 - share) / share)
        return records, pages, eta

    def advance(self, records: int, pages: int = 1) -> None:
        self.pages += pages
        self.records += records
        now = self.clock()
        shown_records, shown_pages, eta = self.counts(now)
        self.progress.update(
            self.task, advance=records, records=shown_records, pages=shown_pages, eta=eta
        )
        if self.heartbeat is not None and now - self.last_line >= self.heartbeat:
            self.last_line = now
            self.progress.console.print(
                f"extract {self.name}: {shown_records} records, {shown_pages} pages, "
                f"{now - self.started:.0f}s" + (f", {eta}" if eta else ""),
                highlight=False,
                markup=False,
            )

    def done(self) -> None:
        task = next(t for t in self.progress.tasks if t.id == self.task)
        self.progress.update(
            self.task,
            total=task.completed,
            records=f"{self.records:,}",
            pages=f"{self.pages:,}",
            eta="",
        )
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
                TextColumn("{task.fields[records]:>12} records"),
                TextColumn("{task.fields[pages]:>7} pages"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
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
        task = self._progress.add_task(name, total=None, records="0", pages="0", eta="")
        return _RichTask(
            self._progress, task, name=name, heartbeat=self._heartbeat, clock=self._clock
        )
