"""The whole run: extract, load and transform in order, and the one table that sums it up."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from glueflake.config import PipelineConfig
from glueflake.transform.changes import BuildState, changed_tables, selection

if TYPE_CHECKING:
    from glueflake.extract import ExtractSummary
    from glueflake.load import LoadSummary, StatusReport
    from glueflake.transform import BuildSummary, DbtSettings


def dbt_settings(config: PipelineConfig, *, target: str | None = None) -> DbtSettings:
    """The dbt settings: project, profiles, target, and the warehouse backend's own."""
    from glueflake.load import open_warehouse
    from glueflake.transform import DbtSettings

    dbt = config.dbt
    return DbtSettings(
        project_dir=config.resolve_path(dbt.project_dir),
        profiles_dir=config.resolve_path(dbt.profiles_dir),
        target=target or dbt.target,
        target_path=config.resolve_path(dbt.target_path) if dbt.target_path else None,
        log_path=config.resolve_path(dbt.log_path) if dbt.log_path else None,
        **open_warehouse(config).dbt_settings(),
    )


def transform(
    config: PipelineConfig,
    *,
    target: str | None = None,
    select: str | None = None,
    full_refresh: bool = False,
    progress: bool = True,
) -> BuildSummary:
    """Run `dbt build` for this pipeline's warehouse.

    Raises:
        TransformError: a model failed or a test failed (the message names them).
    """
    from glueflake.transform import build

    settings = dbt_settings(config, target=target)
    if full_refresh:
        settings = settings.model_copy(update={"full_refresh": True})
    return build(settings, select=select, progress=progress)


@dataclass
class RunResult:
    """What one `glueflake run` did, stage by stage."""

    extract: ExtractSummary
    load: LoadSummary
    status: StatusReport | None = None
    build: BuildSummary | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    changed: list[str] | None = None

    @property
    def build_skipped(self) -> bool:
        """Whether dbt was not invoked because no landing table changed."""
        return self.changed == [] and self.build is None and self.error is None

    @property
    def ok(self) -> bool:
        """Whether every stage finished and every dbt test passed (or none had to run)."""
        return (
            self.error is None
            and not self.load.aborted
            and (self.build is not None or self.build_skipped)
        )

    def __rich__(self) -> RenderableType:
        # Fits 80 columns (non-TTY output) with the entity names whole.
        table = Table(
            title="glueflake run",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            padding=(0, 0, 0, 1),
            pad_edge=False,
        )
        table.add_column("entity", no_wrap=True)
        for column in (
            "extracted",
            "loaded",
            "rejected",
            "lake\nrecords",
            "landing\nrows",
            "raw\nrows",
        ):
            table.add_column(column, justify="right", no_wrap=True)
        extracted = {(e.source, e.entity): e for e in self.extract.results}
        loaded = {(e.source, e.entity): e for e in self.load.entities}
        status = {(e.source, e.entity): e for e in self.status.entities} if self.status else {}
        raw_rows = self.build.raw_rows if self.build else {}
        for key in extracted | loaded:
            ext, ld, st = extracted.get(key), loaded.get(key), status.get(key)
            table.add_row(
                f"{key[0]}.{key[1]}",
                _n(ext.records if ext else None),
                _n(ld.rows_loaded if ld else None),
                _n(ld.rows_rejected if ld else None),
                _n(st.lake_records if st else None),
                _n(st.landing_rows if st else None),
                _n(raw_rows.get(key)),
            )
        parts: list[RenderableType] = [table, *self.load.problems()]
        if self.build_skipped:
            parts.append(
                Text(
                    "dbt build skipped: no landing table changed since the last build "
                    "(run --all to build everything)"
                )
            )
        elif self.changed:
            parts.append(Text(f"dbt build of what changed: {' '.join(selection(self.changed))}"))
        if self.build is not None:
            parts.append(Text(self.build.headline()))
            history = ", ".join(
                f"{name} {versions:,} versions ({closed:,} closed)"
                for name, (versions, closed) in sorted(self.build.snapshot_history.items())
            )
            if history:
                parts.append(Text(f"snapshots: {history}"))
        timing = "  ".join(f"{stage} {secs:.1f}s" for stage, secs in self.seconds.items())
        parts.append(Text(f"duration: {timing}"))
        if self.error:
            parts.append(Text(f"failed: {self.error}", style="bold red"))
        return Group(*parts)


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def changed_selection(
    config: PipelineConfig,
    load: LoadSummary,
    status: StatusReport | None,
    *,
    target: str | None = None,
) -> list[str] | None:
    """The landing tables whose dependants this run must rebuild (see `transform.changes`).

    Args:
        config: The pipeline (for dbt's target directory, where the last build's
            landing row counts are kept).
        load: This run's load summary.
        status: The landing tables' row counts after the load.
        target: The dbt target about to be built (None: the config's).

    Returns:
        Landing tables (``source__entity``), sorted; empty: nothing to build; None:
        build everything (no record of a previous build on this warehouse and target).
    """
    if status is None:
        return None
    settings = dbt_settings(config, target=target)
    state = BuildState.read(settings.resolved_target_path)
    return changed_tables(load, status, state, target=settings.target)


def _record_build(config: PipelineConfig, status: StatusReport, target: str | None) -> None:
    """After a successful whole build: keep the landing row counts it saw."""
    settings = dbt_settings(config, target=target)
    state = BuildState.of(status, settings.target)
    if state is not None:
        state.write(settings.resolved_target_path)


def run_pipeline(
    config: PipelineConfig,
    *,
    target: str | None = None,
    progress: bool = True,
    build_all: bool = False,
) -> RunResult:
    """Extract, load and transform, in order; stop at the first stage that fails.

    dbt builds only what depends on the landing tables that changed since the last
    successful build (`changed_selection`), and is not invoked when none did;
    ``build_all`` builds everything regardless.

    A load that aborts (on_error: abort) or a dbt failure is reported in the result
    (`ok` is False) rather than raised, so the run's table still shows what happened.
    """
    from glueflake.errors import TransformError
    from glueflake.extract import run_extract
    from glueflake.load import lake_status, run_load

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    extracted = run_extract(config, progress=progress)
    seconds["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    loaded = run_load(config, progress=progress)
    seconds["load"] = time.perf_counter() - started
    result = RunResult(extract=extracted, load=loaded, seconds=seconds)
    result.status = lake_status(config)
    if loaded.aborted:
        result.error = "load aborted"
        return result

    started = time.perf_counter()
    result.changed = (
        None if build_all else changed_selection(config, loaded, result.status, target=target)
    )
    if result.changed == []:
        seconds["transform"] = time.perf_counter() - started
        return result
    select = " ".join(selection(result.changed)) if result.changed else None
    try:
        result.build = transform(config, target=target, select=select, progress=progress)
    except TransformError as exc:
        result.error = str(exc)
    else:
        if result.status is not None:
            _record_build(config, result.status, target)
    seconds["transform"] = time.perf_counter() - started
    return result
