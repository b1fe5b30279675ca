"""The DuckDB loader: committed lake files into landing tables, each exactly once.

Per entity: plan (discover), then the single pass (see `direct`): in one transaction,
insert every pending file's lines straight into the landing table and write the
ledger rows, provided every file is clean (each line a JSON object, as many lines as
its manifest says). Otherwise that transaction is rolled back and the staged path
runs: stage every pending file (outside any transaction, see `staging`), decide each
file's fate by its entity's ``on_error``, then write landing rows, rejects and
ledger rows in one transaction. Either way a crash before the commit leaves none of
them; the next run finds the files still pending.

``on_error`` (Snowflake's ON_ERROR):

- ``continue``: good rows load; bad rows go to ``rejected_records``; the ledger says
  PARTIALLY_LOADED (LOAD_FAILED if no row was good).
- ``skip_file``: a file with any bad row loads no row; its bad rows are recorded and
  the ledger says SKIPPED with the first error. It is not retried (``--force`` does).
- ``abort``: the first bad row stops the load: nothing of that entity is written,
  later entities are not attempted, and the summary is ``aborted`` with the file and
  line (the CLI exits non-zero). Entities loaded earlier in the run stay committed,
  as each Snowflake COPY statement would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import groupby

import duckdb
from rich.progress import Progress, TaskID

from glueflake.config import OnError, PipelineConfig
from glueflake.errors import LoadError
from glueflake.failpoints import AFTER_DATA_INSERT, failpoint
from glueflake.lake import ObjectStore
from glueflake.load.discover import EntityPlan, PendingFile
from glueflake.load.duckdb.bulk import insert_rows
from glueflake.load.duckdb.connection import (
    ensure_landing_table,
    landing_table,
)
from glueflake.load.duckdb.direct import CleanInput, NotClean, insert_clean
from glueflake.load.duckdb.ledger import (
    LedgerRow,
    forget_files,
    record_files,
    record_rejects,
)
from glueflake.load.duckdb.localize import LocalFile, local_files
from glueflake.load.duckdb.reasons import first_error_text
from glueflake.load.duckdb.schema_history import record_schema_changes
from glueflake.load.duckdb.staging import (
    STAGE,
    StagedFile,
    StageInput,
    create_stage,
    drop_stage,
    stage_files,
    stage_rejects,
)
from glueflake.load.progress import files_done, start_entity
from glueflake.load.summary import EntityLoadResult
from glueflake.load.types import FileOutcome, FileStatus, RejectRow, SchemaChange

LOAD_SETTINGS: dict[str, str | int | bool] = {
    # The single pass is one pipeline (``row_number() over ()`` keeps it in order on
    # one thread); a second DuckDB thread only contends with it: measured on 200,000
    # orders, 1 thread took 0.85-1.2 s of CPU against 2.1-2.7 s for 2 threads, and
    # less wall time too.
    "threads": 1,
}
# DuckDB's memory limit during the single pass (the landing rows being written;
# written blocks are evicted beyond it). Peak RSS then stays flat with volume: in-
# process ~330 MB at 10,000,000 orders with 160 MB, ~420 MB with 256 MB; with
# DuckDB's default (80% of RAM) it grew with the input (650 MB at 2,000,000). The
# staged path keeps the default: it holds whole lines (up to 64 MiB) in its stage.
SINGLE_PASS_MEMORY = "160MB"
BATCH_BYTES = 256 << 20
BATCH_FILES = 500
_FILES = "glueflake_files"


def load_entity(
    con: duckdb.DuckDBPyConnection,
    cfg: PipelineConfig,
    store: ObjectStore,
    plan: EntityPlan,
    on_error: OnError,
    *,
    load_id: str,
    bar: Progress | None = None,
    force: bool = False,
) -> EntityLoadResult:
    """Load one entity's pending files in one transaction (see the module notes).

    A file whose line count is not its manifest's is treated as a changed file:
    reported, not loaded (``force`` loads it as it is).
    """
    started = time.perf_counter()
    fqn = landing_table(cfg, plan.source, plan.entity)
    result = EntityLoadResult.from_plan(plan, on_error)
    if not plan.pending:
        ensure_landing_table(con, cfg, fqn)
        result.seconds = time.perf_counter() - started
        return result
    task = start_entity(bar, f"{plan.source}.{plan.entity}", plan.pending) if bar else None
    outcomes = _load_clean(
        con, cfg, store, plan, fqn, load_id, bar, task, result.schema_changes, force=force
    )
    if outcomes is None:
        if bar is not None and task is not None:
            bar.reset(task, files=0, of_files=len(plan.pending))
        result.schema_changes.clear()
        outcomes = _load_staged(con, cfg, store, plan, fqn, load_id, result, bar, task, force=force)
        if outcomes is None:  # aborted
            result.seconds = time.perf_counter() - started
            return result
    for outcome in outcomes.values():
        result.rows_loaded += outcome.rows_loaded
        result.rows_rejected += outcome.rows_rejected
        if outcome.status in (FileStatus.LOADED, FileStatus.PARTIALLY_LOADED):
            result.files_loaded += 1
        elif outcome.status is FileStatus.SKIPPED:
            result.files_skipped += 1
        else:
            result.files_failed += 1
    result.seconds = time.perf_counter() - started
    return result


def _load_clean(
    con: duckdb.DuckDBPyConnection,
    cfg: PipelineConfig,
    store: ObjectStore,
    plan: EntityPlan,
    fqn: str,
    load_id: str,
    bar: Progress | None,
    task: TaskID | None,
    schema_changes: list[SchemaChange],
    *,
    force: bool = False,
) -> dict[int, FileOutcome] | None:
    """The single pass (see `direct`): every pending file straight into landing.

    Returns:
        Every file's outcome (all LOADED), committed; or None, with nothing written,
        when a file is not clean (the staged path then sorts it out).
    """
    loaded_at = datetime.now(UTC)
    outcomes = {
        fi: FileOutcome(p.file.key, FileStatus.LOADED, p.file.records, p.file.records, 0)
        for fi, p in enumerate(plan.pending)
    }
    hashes: dict[str, str] = {}
    default_memory = str(_one(con, "select current_setting('memory_limit')"))
    con.execute(f"set memory_limit = '{SINGLE_PASS_MEMORY}'")
    try:
        with _transaction(con):
            ensure_landing_table(con, cfg, fqn)
            forget_files(con, fqn, plan.table, [p.file.key for p in plan.pending if p.reload])
            for _, batch in _batches(plan.pending):
                with local_files(store, [p.file.key for p in batch]) as local:
                    if _hash_mismatches(batch, local, force=force):
                        raise NotClean("a file does not hash to its manifest's sha256")
                    hashes.update((key, f.sha256) for key, f in local.items())
                    inputs = [
                        CleanInput(
                            p.file.key,
                            local[p.file.key].path,
                            p.file.records,
                            p.info.last_modified,
                            p.file.run_id,
                        )
                        for p in batch
                    ]
                    insert_clean(con, fqn, inputs, loaded_at, _primary_key(cfg, plan))
                if bar is not None and task is not None:
                    files_done(bar, task, batch)
            schema_changes.extend(
                record_schema_changes(con, fqn, plan.table, loaded_at=loaded_at, load_id=load_id)
            )
            failpoint(AFTER_DATA_INSERT)
            record_files(
                con,
                plan.table,
                (_ledger_row(outcomes[fi], p, hashes) for fi, p in enumerate(plan.pending)),
                load_id=load_id,
                loaded_at=loaded_at,
            )
    except NotClean:
        return None
    finally:
        # (an explicit SET: duckdb 1.5's RESET shows the default but keeps the limit)
        con.execute(f"set memory_limit = '{default_memory}'")
    return outcomes


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None  # a scalar select has one row
    return row[0]


def _ledger_row(outcome: FileOutcome, pending: PendingFile, hashes: dict[str, str]) -> LedgerRow:
    """The ledger row of a loaded file: the hash of the bytes the load read."""
    return LedgerRow(
        outcome=outcome,
        manifest_key=pending.file.manifest_key,
        etag=pending.info.etag,
        sha256=hashes.get(pending.file.key, pending.sha256),
        bytes=pending.info.size,
        run_id=pending.file.run_id,
    )


def _load_staged(
    con: duckdb.DuckDBPyConnection,
    cfg: PipelineConfig,
    store: ObjectStore,
    plan: EntityPlan,
    fqn: str,
    load_id: str,
    result: EntityLoadResult,
    bar: Progress | None,
    task: TaskID | None,
    *,
    force: bool = False,
) -> dict[int, FileOutcome] | None:
    """The staged path: stage, find bad rows, decide per file, write; None if aborted."""
    on_error = result.on_error
    create_stage(con)
    try:
        staged, hashes = _stage_pending(
            con, store, plan.pending, bar, task, _primary_key(cfg, plan), result, force=force
        )
        result.files_via_python = sum(s.via_python for s in staged.values())
        if not force:
            _drop_miscounted(staged, plan.pending, result)
        rejects = stage_rejects(con, staged)
        outcomes = {fi: _decide(s, rejects[fi], on_error) for fi, s in staged.items()}
        if on_error == "abort":
            first = next(((fi, r[0]) for fi, r in sorted(rejects.items()) if r), None)
            if first is not None:
                fi, bad = first
                result.aborted = True
                result.error = (
                    f"{staged[fi].key}: {first_error_text(bad.line, bad.reason)} "
                    "(on_error: abort; nothing of this entity was loaded)"
                )
                return None
        _write(
            con, cfg, plan, fqn, staged, outcomes, rejects, load_id, result.schema_changes, hashes
        )
    finally:
        drop_stage(con)
    return outcomes


def _primary_key(cfg: PipelineConfig, plan: EntityPlan) -> str | list[str] | None:
    """The entity's primary key from the config (None for an entity not configured)."""
    source = cfg.sources.get(plan.source)
    endpoint = source.endpoints.get(plan.entity) if source is not None else None
    return endpoint.primary_key if endpoint is not None else None


def _drop_miscounted(
    staged: dict[int, StagedFile], pending: Sequence[PendingFile], result: EntityLoadResult
) -> None:
    """Leave out (as changed) the files whose line count is not their manifest's.

    A file whose gzip stream breaks off is not: its lines before the break load and
    the break is rejected with its reason (on_error decides), as before.
    """
    for fi in sorted(staged):
        expected, found = pending[fi].file.records, staged[fi].records
        if found != expected and not staged[fi].broken_tail:
            del staged[fi]
            key = pending[fi].file.key
            result.files_changed += 1
            result.changed_keys.append(key)
            result.changed_reasons[key] = (
                f"holds {found:,} lines where its manifest counts {expected:,}"
            )


def _stage_pending(
    con: duckdb.DuckDBPyConnection,
    store: ObjectStore,
    pending: Sequence[PendingFile],
    bar: Progress | None,
    task: TaskID | None,
    primary_key: str | list[str] | None,
    result: EntityLoadResult,
    *,
    force: bool = False,
) -> tuple[dict[int, StagedFile], dict[str, str]]:
    """Stage the pending files whose bytes hash to their manifests' sha256.

    The others are reported as changed in `result`, not staged (``force`` stages all).

    Returns:
        The staged files by index, and the SHA-256 of each file read, by key.
    """
    staged: dict[int, StagedFile] = {}
    hashes: dict[str, str] = {}
    for first, batch in _batches(pending):
        with local_files(store, [p.file.key for p in batch]) as local:
            hashes.update((key, f.sha256) for key, f in local.items())
            bad = _hash_mismatches(batch, local, force=force)
            for key in bad:
                result.files_changed += 1
                result.changed_keys.append(key)
                result.changed_reasons[key] = "does not hash to its manifest's sha256"
            inputs = [StageInput(p.file.key, local[p.file.key].path, p.file.records) for p in batch]
            for offset, run in _runs_without(inputs, set(bad)):
                fi = first + offset
                staged.update(stage_files(con, run, first_fi=fi, primary_key=primary_key))
        if bar is not None and task is not None:
            files_done(bar, task, batch)
    return staged, hashes


def _runs_without(
    inputs: Sequence[StageInput], skipped: set[str]
) -> Iterator[tuple[int, list[StageInput]]]:
    """The runs of consecutive inputs whose key is not in `skipped`, each with its offset."""
    for is_skipped, run in groupby(enumerate(inputs), key=lambda item: item[1].key in skipped):
        if not is_skipped:
            items = list(run)
            yield items[0][0], [one for _, one in items]


def _hash_mismatches(
    batch: Sequence[PendingFile], local: dict[str, LocalFile], *, force: bool
) -> list[str]:
    """The keys of the files whose bytes do not hash to the sha256 they were planned with.

    That is their manifest's for a file never loaded. None with ``force``, which loads
    the content as it is (and the ledger records its hash).
    """
    if force:
        return []
    return [p.file.key for p in batch if local[p.file.key].sha256 != p.sha256]


def _batches(pending: Sequence[PendingFile]) -> Iterator[tuple[int, list[PendingFile]]]:
    """Consecutive groups of files, bounded in bytes and count; with the first index."""
    start, size = 0, 0
    for i, p in enumerate(pending):
        if i > start and (size + p.info.size > BATCH_BYTES or i - start >= BATCH_FILES):
            yield start, list(pending[start:i])
            start, size = i, 0
        size += p.info.size
    if start < len(pending):
        yield start, list(pending[start:])


def _decide(staged: StagedFile, rejects: list[RejectRow], on_error: str) -> FileOutcome:
    """A file's ledger outcome under `on_error` (abort is handled by the caller)."""
    bad = len(rejects)
    first = rejects[0] if rejects else None
    error = first_error_text(first.line, first.reason) if first else None
    line = first.line if first else None
    if bad == 0:
        return FileOutcome(staged.key, FileStatus.LOADED, staged.records, staged.records, 0)
    if on_error == "skip_file":
        return FileOutcome(
            staged.key, FileStatus.SKIPPED, staged.records, 0, staged.records, error, line
        )
    good = staged.records - bad
    status = FileStatus.PARTIALLY_LOADED if good else FileStatus.LOAD_FAILED
    return FileOutcome(staged.key, status, staged.records, good, bad, error, line)


def _write(
    con: duckdb.DuckDBPyConnection,
    cfg: PipelineConfig,
    plan: EntityPlan,
    fqn: str,
    staged: dict[int, StagedFile],
    outcomes: dict[int, FileOutcome],
    rejects: dict[int, list[RejectRow]],
    load_id: str,
    schema_changes: list[SchemaChange],
    hashes: dict[str, str],
) -> None:
    """Landing rows, rejects, schema changes, ledger rows of the staged files: one transaction."""
    loaded_at = datetime.now(UTC)
    pending = {p.file.key: p for p in plan.pending}
    table_name = plan.table
    with _transaction(con):
        ensure_landing_table(con, cfg, fqn)
        forget_files(con, fqn, table_name, [p.file.key for p in plan.pending if p.reload])
        con.execute(
            f"create or replace temp table {_FILES} "
            "(fi integer, key varchar, off bigint, lm timestamptz, run_id varchar)"
        )
        insert_rows(
            con,
            _FILES,
            [
                ("fi", "integer"),
                ("key", "varchar"),
                ("off", "bigint"),
                ("lm", "timestamptz"),
                ("run_id", "varchar"),
            ],
            (
                (
                    fi,
                    s.key,
                    s.row_offset,
                    pending[s.key].info.last_modified.isoformat(),
                    pending[s.key].file.run_id,
                )
                for fi, s in staged.items()
                if outcomes[fi].rows_loaded > 0
            ),
        )
        con.execute(
            f"insert into {fqn} (record, _file_name, _file_row_number, _file_last_modified, "
            "_run_id, _loaded_at) "
            f"select s.rec, f.key, s.g - f.off, f.lm, f.run_id, ?::timestamptz "
            f"from {STAGE} s join {_FILES} f on s.fi = f.fi where s.rec is not null",
            [loaded_at],
        )
        schema_changes.extend(
            record_schema_changes(con, fqn, table_name, loaded_at=loaded_at, load_id=load_id)
        )
        record_rejects(
            con,
            table_name,
            ((staged[fi].key, r) for fi, rs in sorted(rejects.items()) for r in rs),
            load_id=load_id,
            loaded_at=loaded_at,
        )
        failpoint(AFTER_DATA_INSERT)
        record_files(
            con,
            table_name,
            (_ledger_row(outcomes[fi], pending[s.key], hashes) for fi, s in sorted(staged.items())),
            load_id=load_id,
            loaded_at=loaded_at,
        )
        con.execute(f"drop table {_FILES}")


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success; roll back on any exception, Ctrl-C included.

    The commit is inside the guard: a commit that fails (the disk full while DuckDB
    writes the data out) is rolled back and reported as one `LoadError` line too.
    """
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException as exc:
        with suppress(duckdb.Error):
            con.execute("rollback")
        if isinstance(exc, duckdb.InterruptException):
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.Error):
            raise LoadError(f"loading failed and was rolled back: {exc}") from exc
        raise
