"""The warehouse seam: `run_load` and `lake_status` dispatch on ``warehouse.type``.

DuckDB is built in. Snowflake lives in ``glueflake.load.snowflake`` (its own
engineer's module), imported only when configured, and is expected to offer
``run_snowflake_load(cfg, *, only, force, progress)`` returning a summary with
``aborted`` and ``__rich__`` (`LoadSummary` fits), and optionally
``snowflake_status(cfg, *, orphan_grace, only)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from glueflake.config import PipelineConfig
from glueflake.errors import LoadError
from glueflake.load.discover import DEFAULT_ORPHAN_GRACE
from glueflake.load.summary import LoadSummary

SNOWFLAKE_MODULE = "glueflake.load.snowflake"


def run_load(
    cfg: PipelineConfig,
    *,
    only: list[str] | None = None,
    force: bool = False,
    progress: bool = False,
) -> LoadSummary:
    """Load committed lake files not yet loaded into the configured warehouse.

    Args:
        cfg: the pipeline config.
        only: ``source`` or ``source.entity`` names; None for all.
        force: reload files already loaded, replacing their rows.
        progress: show a progress bar over files.

    Returns:
        The summary (printable; ``aborted`` is true when ``on_error: abort`` fired).

    Raises:
        LoadError: the warehouse cannot be used, or Snowflake loading is missing.
    """
    if cfg.warehouse.type == "snowflake":
        load = snowflake_function("run_snowflake_load")
        return cast(LoadSummary, load(cfg, only=only, force=force, progress=progress))
    from glueflake.load.duckdb_loader import run_duckdb_load

    return run_duckdb_load(cfg, only=only, force=force, progress=progress)


def lake_status(
    cfg: PipelineConfig,
    *,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    only: list[str] | None = None,
) -> Any:
    """Per entity: lake files and records, loaded, rejected, pending, orphaned, changed.

    Args:
        cfg: the pipeline config.
        orphan_grace: uncommitted files older than this count as orphans.
        only: ``source`` or ``source.entity`` names; None for all.

    Returns:
        A printable report (`glueflake.load.status.StatusReport`).
    """
    if cfg.warehouse.type == "snowflake":
        status = snowflake_function("snowflake_status")
        return status(cfg, orphan_grace=orphan_grace, only=only)
    from glueflake.load.status import duckdb_status

    return duckdb_status(cfg, orphan_grace=orphan_grace, only=only)


def snowflake_function(name: str) -> Callable[..., Any]:
    """A function of the Snowflake loader module, imported on first use.

    Raises:
        LoadError: the module (or the function) does not exist yet.
    """
    try:
        module = importlib.import_module(SNOWFLAKE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SNOWFLAKE_MODULE:
            raise
        raise LoadError("Snowflake loading is not available yet") from None
    fn = getattr(module, name, None)
    if fn is None:
        raise LoadError(f"Snowflake loading is not available yet ({SNOWFLAKE_MODULE}.{name})")
    return cast(Callable[..., Any], fn)
