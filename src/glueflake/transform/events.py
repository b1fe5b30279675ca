"""Turning dbt's event stream into node results and a live progress display."""

from __future__ import annotations

import json
import threading
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from glueflake.transform.results import ERROR, FAILED, PASSED, SKIPPED, WARNED, normalise_status

ROW_COUNT_PREFIX = "glueflake.row_count "
_STATUS_STYLE = {PASSED: "green", WARNED: "yellow", FAILED: "red", ERROR: "red", SKIPPED: "dim"}


class EventCollector:
    """A dbt event callback: records row counts and errors, drives a progress bar.

    dbt calls the callback from its worker threads, so state is guarded by a lock.
    Node outcomes themselves are taken from dbt's run results after the
    invocation; this class adds what only the event stream carries (row counts
    logged by the ``log_row_count`` hook, error messages logged outside nodes)
    and shows progress while dbt runs.

    Args:
        progress: Show a rich progress bar and one line per finished model,
            seed and snapshot (and per test that did not pass).
        console: Where to draw; a new stdout console by default.
    """

    def __init__(self, *, progress: bool = True, console: Console | None = None) -> None:
        self.row_counts: dict[str, int] = {}
        self.closed_counts: dict[str, int] = {}
        self.rescued_counts: dict[str, int] = {}
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._show = progress
        self._console = console or Console(soft_wrap=True)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0
        self._done = 0

    def __enter__(self) -> EventCollector:
        if self._show:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]dbt[/bold] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("parsing", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, event: Any) -> None:
        """Handle one dbt ``EventMsg``; never raises (dbt would abort the run)."""
        try:
            self._handle(event)
        except Exception:  # pragma: no cover - a display problem must not fail dbt
            return

    def _handle(self, event: Any) -> None:
        name: str = event.info.name
        if name in {"JinjaLogDebug", "JinjaLogInfo"}:
            message: str = event.data.msg
            if message.startswith(ROW_COUNT_PREFIX):
                payload = json.loads(message.removeprefix(ROW_COUNT_PREFIX))
                with self._lock:
                    self.row_counts[str(payload["unique_id"])] = int(payload["rows"])
                    self.closed_counts[str(payload["unique_id"])] = int(payload.get("closed", 0))
                    if "rescued" in payload:
                        self.rescued_counts[str(payload["unique_id"])] = int(payload["rescued"])
            return
        if event.info.level == "error" and not self._about_a_node(event):
            text = event.info.msg.strip()
            if text:
                with self._lock:
                    self.errors.append(text)
        if self._progress is None or self._task is None:
            return
        if name in ("LogStartLine", "LogTestResult", "LogModelResult"):
            total = int(getattr(event.data, "total", 0) or getattr(event.data, "num_models", 0))
            if total and total != self._total:
                with self._lock:
                    self._total = total
                self._progress.update(self._task, total=total)
        if name == "NodeStart":
            node = event.data.node_info
            self._progress.update(self._task, description=f"{node.resource_type} {node.node_name}")
        elif name == "NodeFinished":
            self._finished(event)

    @staticmethod
    def _about_a_node(event: Any) -> bool:
        """Whether an event reports on a node (its outcome is in the run results)."""
        if event.info.name.startswith(("RunResult", "EndOfRunSummary")):
            return True
        node_info = getattr(event.data, "node_info", None)
        return bool(node_info is not None and getattr(node_info, "unique_id", ""))

    def _finished(self, event: Any) -> None:
        assert self._progress is not None and self._task is not None
        node = event.data.node_info
        status = normalise_status(event.data.run_result.status or node.node_status)
        with self._lock:
            self._done += 1
            done = self._done
        self._progress.update(self._task, completed=done)
        is_test = node.resource_type in ("test", "unit_test")
        if is_test and status == PASSED:
            return
        style = _STATUS_STYLE.get(status, "")
        seconds = float(event.data.run_result.execution_time or 0.0)
        rows = self.row_counts.get(node.unique_id)
        rows_text = f" {rows:,} rows" if rows is not None else ""
        self._progress.console.print(
            f"[{style}]{status:>7}[/{style}] {node.resource_type:<9} {node.node_name}"
            f"{rows_text} [dim]({seconds:.2f}s)[/dim]",
            highlight=False,
        )
