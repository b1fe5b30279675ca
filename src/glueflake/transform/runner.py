"""Run dbt through its programmatic runner (``dbtRunner``)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from glueflake.transform.events import EventCollector
from glueflake.transform.results import (
    ERROR,
    FAILED,
    BuildSummary,
    DbtFailure,
    FreshnessSummary,
    NodeResult,
    SourceFreshness,
    normalise_status,
)
from glueflake.transform.settings import DbtSettings

# The variable profiles.yml's DuckDB targets read for their file: warehouse.path's own
# override, so plain `dbt` and glueflake agree on the file.
DUCKDB_PATH_ENV = "GLUEFLAKE__WAREHOUSE__PATH"
DUCKDB_TARGETS = frozenset({"dev", "ci"})


def build(
    settings: DbtSettings,
    *,
    select: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> BuildSummary:
    """Run ``dbt build``: seeds, models, snapshots and tests in DAG order.

    Args:
        settings: Project, profile target, DuckDB file and flags.
        select: dbt selection (``--select``), one or several (their union);
            None or empty builds everything.
        exclude: dbt exclusion (``--exclude``), one or several.
        progress: Show a live progress bar and a line per node instead of dbt's
            own log lines (dbt's log file under ``settings.log_path`` keeps them).
        console: Rich console to draw on.

    Returns:
        The per-node results and counts.

    Raises:
        DbtFailure: A node errored, a test failed, or dbt could not run at all;
            the message names every failed node with dbt's error text.
    """
    args = ["build", *_common_args(settings, progress=progress)]
    for flag, values in (("--select", select), ("--exclude", exclude)):
        listed = [values] if isinstance(values, str) else list(values or ())
        if listed:
            args += [flag, *listed]
    if settings.full_refresh:
        args.append("--full-refresh")
    started = time.perf_counter()
    collector = EventCollector(progress=progress, console=console)
    with _duckdb_env(settings), collector:
        result = _invoke(args, collector)
    elapsed = time.perf_counter() - started

    nodes = tuple(
        _node_result(r, collector.row_counts, collector.closed_counts, collector.rescued_counts)
        for r in _run_results(result)
    )
    errors = tuple(collector.errors)
    if result.exception is not None and not nodes and not errors:
        errors += (f"{type(result.exception).__name__}: {result.exception}",)
    summary = BuildSummary(
        nodes=nodes,
        elapsed=elapsed,
        success=bool(result.success),
        target=settings.target,
        errors=errors if not result.success or not nodes else (),
    )
    if not summary.ok:
        raise DbtFailure(
            command="build", failed=summary.failed_nodes, errors=summary.errors, summary=summary
        )
    return summary


def freshness(
    settings: DbtSettings,
    *,
    select: str | None = None,
    raise_on_error: bool = True,
) -> FreshnessSummary:
    """Run ``dbt source freshness`` against the landing sources.

    Args:
        settings: Project, profile target and DuckDB file.
        select: Sources to check (``--select``, e.g. ``source:landing.shop__orders``).
        raise_on_error: Raise when a source is past its error threshold or could
            not be checked (a warning never raises).

    Returns:
        One entry per source table.

    Raises:
        DbtFailure: dbt could not run, or (with ``raise_on_error``) a source is stale.
    """
    args = ["source", "freshness", *_common_args(settings, progress=True)]
    args += ["--output", str(settings.resolved_target_path / "sources.json")]
    if select:
        args += ["--select", select]
    started = time.perf_counter()
    collector = EventCollector(progress=False)
    with _duckdb_env(settings):
        result = _invoke(args, collector)
    elapsed = time.perf_counter() - started
    sources = tuple(_freshness_result(r) for r in _run_results(result))
    summary = FreshnessSummary(sources=sources, elapsed=elapsed)
    if not sources and not result.success:
        raise DbtFailure(command="source freshness", errors=tuple(collector.errors))
    if raise_on_error:
        bad = [s for s in sources if s.status in (ERROR, "runtime error")]
        if bad:
            raise DbtFailure(
                command="source freshness",
                errors=tuple(
                    f"{s.source}.{s.table}: {s.status}"
                    + (f" ({s.message})" if s.message else "")
                    + (f", last load {s.max_loaded_at:%Y-%m-%d %H:%M}" if s.max_loaded_at else "")
                    for s in bad
                ),
            )
    return summary


def docs_generate(settings: DbtSettings, *, empty_catalog: bool = False) -> Path:
    """Run ``dbt docs generate --static`` into ``settings.resolved_target_path``.

    The static page carries the manifest and the catalog inside it, so it opens from
    a file with no server and fetches nothing.

    Args:
        settings: Project, profile target, DuckDB file and target path.
        empty_catalog: Skip the warehouse's catalog (no connection for it), for a
            warehouse that does not exist yet.

    Returns:
        The folder holding ``static_index.html``, ``index.html``, ``manifest.json``
        and ``catalog.json``.

    Raises:
        DbtFailure: dbt could not parse, compile or read the catalog.
    """
    args = ["docs", "generate", "--static", *_common_args(settings, progress=False)]
    if empty_catalog:
        args.append("--empty-catalog")
    collector = EventCollector(progress=False)
    with _duckdb_env(settings):
        result = _invoke(args, collector)
    target = settings.resolved_target_path
    if not result.success or not (target / "static_index.html").is_file():
        errors = tuple(collector.errors)
        if result.exception is not None:
            errors += (f"{type(result.exception).__name__}: {result.exception}",)
        raise DbtFailure(command="docs generate", errors=errors)
    return target


def _common_args(settings: DbtSettings, *, progress: bool) -> list[str]:
    args = [
        "--project-dir",
        str(settings.project_dir.resolve()),
        "--profiles-dir",
        str(settings.profiles_dir.resolve()),
        "--target",
        settings.target,
        "--target-path",
        str(settings.resolved_target_path),
        "--log-path",
        str(settings.resolved_log_path),
        # dbt's console output is replaced by our progress display; errors still
        # reach us through the event callback and the run results.
        "--log-level",
        "none" if progress else "warn",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
    ]
    if settings.vars:
        args += ["--vars", json.dumps(settings.vars, default=str)]
    if settings.threads is not None:
        args += ["--threads", str(settings.threads)]
    return args


def _invoke(args: Sequence[str], collector: EventCollector) -> Any:
    # Imported here: dbt is heavy to import and only needed when dbt runs.
    from dbt.cli.main import dbtRunner

    try:
        return dbtRunner(callbacks=[collector]).invoke(list(args))
    finally:
        _release_duckdb()


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after an invocation.

    dbt-duckdb holds one process-wide DuckDB instance (a class attribute of its
    connection manager) until the next invocation replaces it. Left open, it keeps
    the file locked against other processes and makes this process's own later
    ``duckdb.connect`` calls with another configuration (read_only, for one) fail.
    This reaches into dbt-duckdb's internals, so any surprise is ignored.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    lock = getattr(DuckDBConnectionManager, "_LOCK", None)
    if lock is None:  # pragma: no cover
        return
    with lock:
        env = getattr(DuckDBConnectionManager, "_ENV", None)
        if env is None:
            return
        try:
            env.close()
        except Exception:  # pragma: no cover - best effort
            return
        DuckDBConnectionManager._ENV = None


@contextmanager
def _duckdb_env(settings: DbtSettings) -> Iterator[None]:
    """Set the profile's variables for one invocation, then restore them.

    The DuckDB path variable points at ``settings.duckdb_path``; each of
    ``settings.env_defaults`` is set where the environment has no value of its own.
    """
    values = {k: v for k, v in settings.env_defaults.items() if not os.environ.get(k)}
    if settings.duckdb_path is not None and settings.target in DUCKDB_TARGETS:
        path = settings.duckdb_path.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        values[DUCKDB_PATH_ENV] = str(path)
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_results(result: Any) -> list[Any]:
    results = getattr(result.result, "results", None)
    return list(results) if results else []


def _node_result(
    result: Any,
    row_counts: dict[str, int],
    closed_counts: dict[str, int],
    rescued_counts: dict[str, int] | None = None,
) -> NodeResult:
    node = result.node
    unique_id = str(node.unique_id)
    status = normalise_status(str(result.status))
    adapter_rows = (result.adapter_response or {}).get("rows_affected")
    rows = row_counts.get(unique_id)
    if rows is None and isinstance(adapter_rows, int) and adapter_rows >= 0:
        rows = adapter_rows
    relation = getattr(node, "relation_name", None)
    message = result.message if status in (FAILED, ERROR) or result.message else None
    return NodeResult(
        unique_id=unique_id,
        name=str(node.name),
        resource_type=str(node.resource_type),
        status=status,
        rows_affected=rows,
        execution_time=float(result.execution_time or 0.0),
        message=str(message) if message is not None else None,
        failures=int(result.failures) if result.failures is not None else None,
        relation=str(relation) if relation else None,
        closed_versions=closed_counts.get(unique_id) if node.resource_type == "snapshot" else None,
        rescued_values=(rescued_counts or {}).get(unique_id),
    )


def _freshness_result(result: Any) -> SourceFreshness:
    node = result.node
    max_loaded_at = getattr(result, "max_loaded_at", None)
    age = getattr(result, "age", None)
    return SourceFreshness(
        source=str(node.source_name),
        table=str(node.name),
        status=str(result.status).lower(),
        max_loaded_at=max_loaded_at if isinstance(max_loaded_at, datetime) else None,
        age_seconds=float(age) if age is not None else None,
        message=str(result.message) if getattr(result, "message", None) else None,
    )
