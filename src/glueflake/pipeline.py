"""The whole run: extract, load and transform in order, and the one table that sums it up."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from rich.console import Group, RenderableType
from rich.text import Text

from glueflake.config import ConfigError, PipelineConfig
from glueflake.phase import mark
from glueflake.tables import count as _n
from glueflake.tables import summary_table
from glueflake.transform.changes import UNIT_TESTS, BuildState, changed_tables, selection

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from glueflake.extract import ExtractSummary
    from glueflake.load import LoadSummary, StatusReport
    from glueflake.transform import BuildSummary, DbtSettings


@dataclass(frozen=True)
class DbtOptions:
    """dbt's own command-line flags, as `glueflake transform` and `run` take them.

    Attributes:
        target: Profile target (default: the config's ``dbt.target``).
        select: dbt selections, each as ``--select`` takes it; empty selects all.
        exclude: dbt exclusions (``--exclude``).
        vars: Project variables (``--vars``), over the ones the config implies.
        threads: dbt threads (default: the profile's).
        full_refresh: Rebuild incremental models and seeds from scratch.
        profiles_dir: Folder of profiles.yml (default: the config's ``dbt.profiles_dir``).
    """

    target: str | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    vars: dict[str, object] = field(default_factory=dict)
    threads: int | None = None
    full_refresh: bool = False
    profiles_dir: Path | None = None


def parse_dbt_vars(text: str | None) -> dict[str, object]:
    """Dbt's ``--vars`` text (a YAML or JSON mapping) as a dict.

    Raises:
        ConfigError: the text is not a YAML mapping.
    """
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise ConfigError(
            f"--vars: expected a YAML mapping such as '{{key: value}}' (got {text!r})"
        )
    return {str(k): v for k, v in value.items()}


def dbt_settings(
    config: PipelineConfig, *, target: str | None = None, options: DbtOptions | None = None
) -> DbtSettings:
    """The dbt settings: project, profiles, target, flags and the warehouse backend's own."""
    from glueflake.load import open_warehouse
    from glueflake.transform import DbtSettings

    options = options or DbtOptions()
    dbt = config.dbt
    return DbtSettings(
        project_dir=config.resolve_path(dbt.project_dir),
        profiles_dir=options.profiles_dir or config.resolve_path(dbt.profiles_dir),
        target=target or options.target or dbt.target,
        vars=dict(options.vars),
        threads=options.threads,
        full_refresh=options.full_refresh,
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
    options: DbtOptions | None = None,
) -> BuildSummary:
    """Run `dbt build` for this pipeline's warehouse.

    `options` carries dbt's flags; `target`, `select` and `full_refresh` are added
    to them (the older keyword form).

    Raises:
        TransformError: a model failed or a test failed (the message names them).
    """
    from glueflake.transform import DbtFailure, build
    from glueflake.transform.sql_location import locate_all

    options = options or DbtOptions()
    settings = dbt_settings(config, target=target, options=options)
    if full_refresh:
        settings = settings.model_copy(update={"full_refresh": True})
    selected = (*options.select, *([select] if select else []))
    logger.debug(
        "dbt build: target %s, select %s, exclude %s, threads %s, full refresh %s",
        settings.target,
        list(selected) or "all",
        list(options.exclude) or "none",
        settings.threads or "profile's",
        settings.full_refresh,
    )
    try:
        return build(settings, select=selected, exclude=options.exclude, progress=progress)
    except DbtFailure as exc:
        # dbt names the compiled SQL's line; say where it is in the model's own file.
        found = locate_all((n.message for n in exc.failed), settings.project_dir)
        if not found:
            raise
        raise DbtFailure(
            command=exc.command,
            failed=exc.failed,
            errors=(*exc.errors, *(f"in the model's file: {where}" for where in found)),
            summary=exc.summary,
        ) from None


@dataclass
class RunResult:
    """What one `glueflake run` did, stage by stage."""

    extract: ExtractSummary
    load: LoadSummary
    status: StatusReport | None = None
    build: BuildSummary | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
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
        table = summary_table(
            "glueflake run",
            "entity",
            ("extracted", "loaded", "rejected", "lake\nrecords", "landing\nrows", "raw\nrows"),
        )
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
        for ext in self.extract.results:
            if ext.rejected:
                parts.append(
                    Text(
                        f"{ext.name}: {ext.rejected:,} record(s) rejected at extract, kept "
                        f"with the reason in {ext.rejects_key}; first: {ext.reject_reason}",
                        style="yellow",
                    )
                )
        if self.build_skipped:
            parts.append(
                Text(
                    "dbt build skipped: no landing table changed since the last build "
                    "(run --all to build everything)"
                )
            )
        elif self.changed:
            parts.append(
                Text(
                    f"dbt build of what changed: {' '.join(selection(self.changed))} "
                    "(unit tests run with whole builds)"
                )
            )
        if self.build is not None:
            parts.append(Text(self.build.headline()))
            history = ", ".join(
                f"{name} {versions:,} versions ({closed:,} closed)"
                for name, (versions, closed) in sorted(self.build.snapshot_history.items())
            )
            if history:
                parts.append(Text(f"snapshots: {history}"))
            rescued = self.build.rescued
            if rescued:
                counts = ", ".join(
                    f"{source}.{entity} {count:,}"
                    for (source, entity), count in sorted(rescued.items())
                )
                style = "yellow" if any(rescued.values()) else ""
                parts.append(
                    Text(f"rescued values (did not fit their type): {counts}", style=style)
                )
        timing = "  ".join(f"{stage} {secs:.1f}s" for stage, secs in self.seconds.items())
        parts.append(Text(f"duration: {timing}"))
        parts.extend(Text(f"warning: {w}", style="yellow") for w in self.warnings)
        if self.error:
            parts.append(Text(f"failed: {self.error}", style="bold red"))
        return Group(*parts)


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
    only: list[str] | None = None,
    dbt: DbtOptions | None = None,
    build_all: bool = False,
) -> RunResult:
    """Extract, load and transform, in order; stop at the first stage that fails.

    dbt builds only what depends on the landing tables that changed since the last
    successful build (`changed_selection`), and is not invoked when none did;
    ``build_all`` builds everything regardless.

    A load that aborts (on_error: abort) or a dbt failure is reported in the result
    (`ok` is False) rather than raised, so the run's table still shows what happened.

    Args:
        config: The pipeline.
        target: dbt profile target (default: the config's).
        progress: Progress bars and per-node lines.
        only: ``source`` or ``source.entity`` names to extract and load; with no
            ``--select`` in `dbt`, dbt then builds what reads their landing tables
            (``source:landing.<source>__<entity>+``).
        dbt: dbt's flags for the transform stage.
        build_all: build every node, not only what the changed landing tables feed.

    Raises:
        LeaseHeld: another run holds the lake's run lease.
    """
    from glueflake.lake.layout import lease_key
    from glueflake.lake.lease import Lease
    from glueflake.lake.store import open_lake

    # One run at a time per lake: a second one stops here with one line naming the
    # first (its load and dbt would otherwise fail on the warehouse's lock).
    with Lease(open_lake(config), lease_key(), what="run", ttl=config.lake.lease_ttl):
        return _run_stages(
            config, target=target, progress=progress, only=only, dbt=dbt, build_all=build_all
        )


def _run_stages(
    config: PipelineConfig,
    *,
    target: str | None,
    progress: bool,
    only: list[str] | None,
    dbt: DbtOptions | None,
    build_all: bool,
) -> RunResult:
    from glueflake.errors import TransformError
    from glueflake.extract import run_extract
    from glueflake.load import lake_status, run_load
    from glueflake.transform.coverage import unread_entities

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    dbt = dbt or DbtOptions()
    user_selected = bool(dbt.select or dbt.exclude or only)
    if only and not dbt.select:
        chosen = config.select(only)
        dbt = replace(dbt, select=tuple(f"source:landing.{s}__{e}+" for s, e in chosen))
    mark("extract")
    extracted = run_extract(config, only=only, progress=progress)
    seconds["extract"] = time.perf_counter() - started
    logger.info("extract: %s records in %.1fs", f"{extracted.records:,}", seconds["extract"])

    started = time.perf_counter()
    mark("load")
    loaded = run_load(config, only=only, progress=progress)
    seconds["load"] = time.perf_counter() - started
    logger.info("load: %s rows in %.1fs", f"{loaded.rows_loaded:,}", seconds["load"])
    result = RunResult(extract=extracted, load=loaded, seconds=seconds)
    result.status = lake_status(config)
    if loaded.aborted:
        result.error = "load aborted"
        return result

    started = time.perf_counter()
    # An explicit selection (--select, --exclude, --only) wins over "what changed",
    # and is not a whole build: the next run still sees the rest as unbuilt.
    automatic = not (user_selected or build_all)
    build_target = target or dbt.target
    result.changed = (
        changed_selection(config, loaded, result.status, target=build_target) if automatic else None
    )
    if result.changed:
        # data and its tests only: unit tests check SQL, which new rows do not change
        dbt = replace(dbt, select=tuple(selection(result.changed)), exclude=(UNIT_TESTS,))
    if result.changed != []:
        mark("transform")
        try:
            result.build = transform(config, target=target, progress=progress, options=dbt)
        except TransformError as exc:
            result.error = str(exc)
            # What did build (raw rows, pass/fail/skip counts) stays in the run's table.
            result.build = getattr(exc, "summary", None)
        else:
            if result.status is not None and not user_selected:
                _record_build(config, result.status, build_target)
    seconds["transform"] = time.perf_counter() - started
    manifest = dbt_settings(config, options=dbt).resolved_target_path / "manifest.json"
    result.warnings = unread_entities(manifest, [(e.source, e.entity) for e in extracted.results])
    mark("done")
    return result
