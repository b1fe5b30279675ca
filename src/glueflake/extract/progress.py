"""Progress display: one rich task per endpoint showing records and pages (on stderr)."""

from __future__ import annotations

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
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task
        self.pages = 0

    def advance(self, records: int, pages: int = 1) -> None:
        self.pages += pages
        self.progress.update(self.task, advance=records, pages=self.pages)

    def done(self) -> None:
        task = next(t for t in self.progress.tasks if t.id == self.task)
        self.progress.update(self.task, total=task.completed)
        self.progress.stop_task(self.task)


class ExtractProgress:
    """A context manager handing out one progress task per endpoint; silent if disabled."""

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        """Show progress on `console` (default: stderr) when `enabled`."""
        self._progress: Progress | None = None
        if enabled:
            self._progress = Progress(
                SpinnerColumn(finished_text="[green]✓"),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:>12,.0f} records"),
                TextColumn("{task.fields[pages]:>7,} pages"),
                TimeElapsedColumn(),
                console=console or Console(stderr=True),
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
        return _RichTask(self._progress, self._progress.add_task(name, total=None, pages=0))
