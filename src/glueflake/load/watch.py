"""`glueflake load --watch`: poll the lake and load new commits as they appear.

The local stand-in for Snowpipe AUTO_INGEST. Each poll is an ordinary `run_load`
(per-entity transactions), so Ctrl-C lands between files: a transaction in progress
is rolled back and its files load on the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.errors import LoadError, WarehouseBusy
from glueflake.load.run import run_load
from glueflake.load.summary import LoadSummary


@dataclass
class WatchResult:
    """What a watch loaded before it stopped."""

    polls: int = 0
    files_loaded: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    skipped_polls: int = 0
    interrupted: bool = False


def watch_lake(
    cfg: PipelineConfig,
    *,
    only: list[str] | None = None,
    interval: float = 5.0,
    console: Console | None = None,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
    load: Callable[..., LoadSummary] = run_load,
) -> WatchResult:
    """Load new lake commits every `interval` seconds until stopped.

    Args:
        cfg: the pipeline config.
        only: ``source`` or ``source.entity`` names; None for all.
        interval: seconds between polls.
        console: where to print what each poll loaded (default: stderr).
        stop: set it to stop after the current poll (tests, embedding).
        max_polls: stop after this many polls (None: until interrupted).
        load: the load function (default `run_load`; tests pass their own).

    Returns:
        Totals over the polls.

    A poll that finds the warehouse locked by another process (``glueflake
    transform`` building, another load) is skipped with a line saying so.

    Raises:
        LoadError: an ``on_error: abort`` entity met a bad row (the watch stops).
    """
    console = console or Console(stderr=True, soft_wrap=True)
    stop = stop or threading.Event()
    result = WatchResult()
    # Changed and missing files are reported once (they stay so until someone acts).
    reported: set[tuple[str, str]] = set()
    console.print(f"watching the lake every {interval:g}s; Ctrl-C stops")
    try:
        while not stop.is_set():
            try:
                summary = load(cfg, only=only, force=False, progress=False)
            except WarehouseBusy as exc:
                # transform (dbt) or another load holds the warehouse: this poll is
                # skipped, the next one tries again.
                result.polls += 1
                result.skipped_polls += 1
                console.print(f"poll {result.polls} skipped: {exc}; trying again in {interval:g}s")
                if max_polls is not None and result.polls >= max_polls:
                    break
                stop.wait(interval)
                continue
            result.polls += 1
            result.files_loaded += summary.files_loaded
            result.rows_loaded += summary.rows_loaded
            result.rows_rejected += summary.rows_rejected
            problems = {
                (e.name, key) for e in summary.entities for key in e.changed_keys + e.missing_keys
            }
            if not summary.nothing_to_load or problems - reported:
                console.print(summary)
            reported |= problems
            if summary.aborted:
                errors = "; ".join(e.error or e.name for e in summary.entities if e.aborted)
                raise LoadError(f"watch stopped: {errors}")
            if max_polls is not None and result.polls >= max_polls:
                break
            stop.wait(interval)
    except KeyboardInterrupt:
        result.interrupted = True
    console.print(
        f"watch stopped after {result.polls} poll(s)"
        + (f" ({result.skipped_polls} skipped: warehouse busy)" if result.skipped_polls else "")
        + f": {result.files_loaded} file(s), "
        f"{result.rows_loaded:,} row(s) loaded, {result.rows_rejected:,} rejected"
    )
    return result
