"""`glueflake load` and `glueflake status` on any warehouse, through its backend.

Both walk the selected entities in config order: plan each from the lake (shared:
`glueflake.load.discover`), then hand the plan to the backend (`Warehouse`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from rich.progress import Progress

from glueflake.config import PipelineConfig
from glueflake.lake import ObjectStore, new_run_id, open_lake
from glueflake.load.discover import DEFAULT_ORPHAN_GRACE, no_ledger, plan_entity
from glueflake.load.progress import LoadProgress
from glueflake.load.registry import open_warehouse
from glueflake.load.status import StatusReport
from glueflake.load.summary import LoadSummary
from glueflake.load.warehouse import Warehouse


def run_load(
    cfg: PipelineConfig,
    *,
    only: list[str] | None = None,
    force: bool = False,
    progress: bool = False,
    store: ObjectStore | None = None,
    warehouse: Warehouse | None = None,
) -> LoadSummary:
    """Load committed lake files not yet loaded into the configured warehouse.

    Entities load in config order, each in its own transaction; after an entity that
    ``on_error: abort`` stopped, the rest are not attempted.

    Args:
        cfg: the pipeline config.
        only: ``source`` or ``source.entity`` names; None for all.
        force: reload files already loaded, replacing their rows.
        progress: show progress over files (on stderr).
        store: the lake (default: the configured one).
        warehouse: the backend (default: the one registered for ``warehouse.type``).

    Returns:
        The summary (printable; ``aborted`` is true when ``on_error: abort`` fired).

    Raises:
        LoadError: the warehouse cannot be used, or loading failed.
    """
    started = time.perf_counter()
    entities = cfg.select(only)
    store = store or open_lake(cfg)
    wh = warehouse or open_warehouse(cfg)
    summary = LoadSummary(load_id=new_run_id())
    ledger = no_ledger if wh.dedupes_loads else wh.ledger
    wh.connect()
    try:
        with _progress(progress) as bar:
            for source, entity in entities:
                # Without a ledger of its own (Snowflake's load metadata dedupes), every
                # committed file would be hashed on every load: verified where it is
                # read once, on the way in. A backend that hashes what it reads checks
                # each file against its manifest itself (one read of each file).
                verify = not (wh.dedupes_loads or wh.verifies_on_read)
                plan = plan_entity(
                    store, source, entity, ledger, force=force, verify_content=verify
                )
                on_error = cfg.sources[source].endpoints[entity].on_error
                result = wh.load(
                    plan, on_error, store=store, force=force, load_id=summary.load_id, bar=bar
                )
                summary.entities.append(result)
                if result.aborted:
                    break
    finally:
        wh.close()
    summary.seconds = time.perf_counter() - started
    return summary


def lake_status(
    cfg: PipelineConfig,
    *,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    only: list[str] | None = None,
    store: ObjectStore | None = None,
    warehouse: Warehouse | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """Per entity: lake files and records, loaded, rejected, pending, orphaned, changed.

    Reads only; works before the warehouse exists (everything committed is pending).

    Args:
        cfg: the pipeline config.
        orphan_grace: uncommitted files older than this count as orphans.
        only: ``source`` or ``source.entity`` names; None for all.
        store: the lake (default: the configured one).
        warehouse: the backend (default: the one registered for ``warehouse.type``).
        now: the time to judge orphans' age by (default: now).

    Returns:
        A printable report.
    """
    entities = cfg.select(only)
    store = store or open_lake(cfg)
    wh = warehouse or open_warehouse(cfg)
    now = now or datetime.now(UTC)
    wh.connect(read_only=True)
    try:
        report = StatusReport(store.url, wh.location, warehouse_exists=wh.exists)
        for source, entity in entities:
            plan = plan_entity(
                store,
                source,
                entity,
                wh.ledger,
                now=now,
                orphan_grace=orphan_grace,
                verify_content=not wh.dedupes_loads,
            )
            report.entities.append(wh.status(plan))
    finally:
        wh.close()
    return report


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    bar = LoadProgress()
    with bar:
        yield bar
