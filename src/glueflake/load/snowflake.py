"""The Snowflake loader: committed lake files into Snowflake landing tables, once each.

Mode ``copy`` runs, per entity, the same COPY INTO its pipe would run, restricted by
``FILES = (...)`` to the files listed in committed manifests (uncommitted files are
never named, so never loaded). Snowflake's load metadata makes a file that was
already loaded a no-op, which keeps loading exactly-once; the COPY result rows (file,
status, rows parsed and loaded, errors, first error and line) become the summary.

Mode ``snowpipe`` runs no COPY: the pipes load files as S3 events arrive. The loader
polls ``COPY_HISTORY`` (and ``SYSTEM$PIPE_STATUS`` for a paused or failing pipe) until
every committed file of the selected entities shows a final status, or fails after
``warehouse.snowpipe_timeout`` naming the files still missing.

A committed file whose etag no longer matches its manifest was rewritten after it was
committed: it is reported as changed and not loaded, unless ``force``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from glueflake.config import PipelineConfig
from glueflake.deploy.snowflake_sql import (
    EntityObjects,
    Literal,
    SnowflakeObjects,
    copy_statement,
    lake_key,
    snowflake_objects,
    warehouse_config,
)
from glueflake.errors import LoadError
from glueflake.lake import ObjectStore, open_lake, parse_data_key
from glueflake.load.discover import read_manifests
from glueflake.load.summary import EntityLoadResult, LoadSummary
from glueflake.load.typing import FileOutcome, FileStatus

#: Snowflake accepts at most 1,000 names in one FILES = (...) list.
FILES_PER_COPY = 1000
#: COPY_HISTORY (and LOAD_HISTORY) keep 14 days; queries start a little inside that.
HISTORY_WINDOW = timedelta(days=14) - timedelta(hours=1)
#: The load-history columns read, as COPY_HISTORY and LOAD_HISTORY both name them.
HISTORY_COLUMNS = (
    "file_name, status, row_count, row_parsed, first_error_message, "
    "first_error_line_number, last_load_time"
)
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class CommittedFile:
    """A data file named by a committed manifest."""

    key: str
    records: int
    etag: str


@dataclass
class EntityResult:
    """What the Snowflake loader did for one entity."""

    source: str
    entity: str
    files: list[FileOutcome] = field(default_factory=list)
    already_loaded: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_loaded(self) -> int:
        """Rows inserted by this run."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows parsed but not loaded by this run."""
        return sum(f.rows_rejected for f in self.files)


class CopyStrategy(Protocol):
    """How committed files get COPY'd into a landing table, and where that is recorded."""

    def copy(
        self,
        cursor: Any,
        objects: SnowflakeObjects,
        entity: EntityObjects,
        files: Sequence[CommittedFile],
        *,
        force: bool,
    ) -> list[dict[str, Any]]:
        """Load `files`, returning Snowflake's COPY result rows (lower-case keys)."""
        ...

    def load_history(
        self, cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, since: datetime
    ) -> list[dict[str, Any]]:
        """The entity's per-file load records since `since`, one row per load.

        Rows have `HISTORY_COLUMNS` as lower-case keys; ``file_name`` may be the lake
        key, a stage-relative path or a URL ending in the key.
        """
        ...


class JsonCopy:
    """Production: the pipe's COPY INTO (JSON file format, METADATA$ columns, ON_ERROR).

    With ``force``, the rows of the named files are deleted first and the COPY runs
    with ``FORCE = TRUE``, in one transaction: a reload replaces, never duplicates.
    """

    def copy(
        self,
        cursor: Any,
        objects: SnowflakeObjects,
        entity: EntityObjects,
        files: Sequence[CommittedFile],
        *,
        force: bool,
    ) -> list[dict[str, Any]]:
        """Run one COPY INTO per batch of at most 1,000 files."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(files), FILES_PER_COPY):
            batch = files[start : start + FILES_PER_COPY]
            relative = [f.key.removeprefix(entity.stage_path) for f in batch]
            if force:
                keys = ", ".join(str(lake_key(f.key)) for f in batch)
                cursor.execute(f"delete from {entity.table} where _file_name in ({keys})")
            cursor.execute(copy_statement(objects, entity, relative, force=force))
            rows.extend(_result_rows(cursor))
        return rows

    def load_history(
        self, cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, since: datetime
    ) -> list[dict[str, Any]]:
        """COPY_HISTORY of the landing table: bulk COPY and Snowpipe loads alike."""
        return copy_history(cursor, objects, entity, since)


class LinesCopy:
    """Offline stand-in for fakesnow 0.11, which has no JSON file format in COPY INTO.

    Each file is COPY'd as one-column CSV (delimiter and quote set to control bytes
    that valid NDJSON never holds unescaped) into ``<table>__LINES``, through the same
    FILES list, stage and load metadata; then ``parse_json`` moves the lines into the
    landing table with the metadata columns filled from the file's key, line number,
    last-modified time and run id, and the staging table is emptied. What it does not
    exercise: the JSON file format, METADATA$ columns inside a COPY transformation,
    and ON_ERROR other than ABORT_STATEMENT (a bad line fails the file's statement).

    Its load metadata is that of the COPYs into the lines table, read from
    ``INFORMATION_SCHEMA.LOAD_HISTORY`` (a real Snowflake view for bulk COPY, and the
    table fakesnow 0.11 records its COPYs in; it has no COPY_HISTORY()).
    """

    DELIMITER = "\x1f"
    QUOTE = "\x1e"

    def __init__(self, store: ObjectStore) -> None:
        """Read file last-modified times from `store`."""
        self.store = store

    def copy(
        self,
        cursor: Any,
        objects: SnowflakeObjects,
        entity: EntityObjects,
        files: Sequence[CommittedFile],
        *,
        force: bool,
    ) -> list[dict[str, Any]]:
        """COPY each file into the lines table, then INSERT ... SELECT parse_json."""
        lines = f"{entity.table}__LINES"
        # Not CREATE TABLE IF NOT EXISTS: on an existing table fakesnow 0.11 wipes its
        # load history, which would make every file look new.
        cursor.execute(
            f"select count(*) from {objects.database}.information_schema.tables "
            f"where table_schema = '{objects.schema}' and table_name = "
            f"'{entity.table.parts[-1]}__LINES'"
        )
        row = cursor.fetchone()
        if not row or not row[0]:
            cursor.execute(f"create table {lines} (line varchar)")
        rows: list[dict[str, Any]] = []
        for f in files:
            key = lake_key(f.key)
            info = self.store.head(f.key)
            parsed = parse_data_key(f.key)
            if info is None or parsed is None or not _RUN_ID.match(parsed.run_id):
                raise LoadError(f"{f.key}: not a readable data file of the lake layout")
            if force:
                cursor.execute(f"delete from {entity.table} where _file_name = {key}")
            # Upper-case option names: fakesnow matches them case-sensitively.
            cursor.execute(
                f"COPY INTO {lines} (LINE) FROM @{objects.stage} FILES = ({key}) "
                f"FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = '{self.DELIMITER}' "
                f"FIELD_OPTIONALLY_ENCLOSED_BY = '{self.QUOTE}')"
                + (" FORCE = TRUE" if force else "")
            )
            result = _result_rows(cursor)
            rows.extend(result)
            if any(r.get("status") == "LOADED" for r in result):
                modified = Literal(info.last_modified.astimezone(UTC).isoformat())
                cursor.execute(
                    f"insert into {entity.table} "
                    "(record, _file_name, _file_row_number, _file_last_modified, _run_id, "
                    "_loaded_at) "
                    f"select parse_json(line), {key}, row_number() over (), "
                    f"{modified}::timestamp_tz, {Literal(parsed.run_id)}, current_timestamp() "
                    f"from {lines}"
                )
                cursor.execute(f"delete from {lines}")
        return rows

    def load_history(
        self, cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, since: datetime
    ) -> list[dict[str, Any]]:
        """LOAD_HISTORY of the lines table.

        Every line COPY'd there moved to the landing table in the same transaction, so
        its row counts are the landing table's.
        """
        cursor.execute(
            f"select {HISTORY_COLUMNS} from {objects.database}.information_schema.load_history "
            f"where schema_name = {Literal(str(objects.schema))} "
            f"and table_name = {Literal(f'{entity.table.parts[-1]}__LINES')} "
            f"and last_load_time >= {Literal(since.astimezone(UTC).isoformat())}::timestamp_tz"
        )
        return _result_rows(cursor)


def _result_rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0].lower() for d in cursor.description or []]
    return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]


def copy_history(
    cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, start: datetime
) -> list[dict[str, Any]]:
    """``INFORMATION_SCHEMA.COPY_HISTORY`` rows of the entity's landing table since `start`.

    The table function covers bulk COPY and Snowpipe loads for the last 14 days (`start`
    must lie inside them); ``file_name`` is the path relative to the stage, here the lake
    key. Rows have `HISTORY_COLUMNS` as lower-case keys.
    """
    when = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    cursor.execute(
        f"select {HISTORY_COLUMNS} from table({objects.database}.information_schema."
        f"copy_history(table_name => {Literal(str(entity.table))}, "
        f"start_time => to_timestamp_ltz({Literal(when)})))"
    )
    return _result_rows(cursor)


def committed_files(store: ObjectStore, source: str, entity: str) -> list[CommittedFile]:
    """Every data file listed by a committed manifest of the entity, oldest first."""
    seen: dict[str, CommittedFile] = {}
    for manifest in read_manifests(store, source, entity):
        for f in manifest.files:
            seen.setdefault(f.key, CommittedFile(f.key, f.records, f.etag))
    return list(seen.values())


def _status(value: object) -> FileStatus:
    """Snowflake's COPY / COPY_HISTORY status in the ledger's vocabulary."""
    text = str(value or "").strip().upper().replace(" ", "_")
    if text == "LOADED":
        return FileStatus.LOADED
    if text == "PARTIALLY_LOADED":
        return FileStatus.PARTIALLY_LOADED
    if text in ("LOAD_FAILED", "FAILED"):
        return FileStatus.LOAD_FAILED
    return FileStatus.SKIPPED


def _outcome(key: str, row: dict[str, Any]) -> FileOutcome:
    """A COPY result row (or a COPY_HISTORY row, same meaning) as a ledger outcome."""
    parsed = int(row.get("rows_parsed", row.get("row_parsed")) or 0)
    loaded = int(row.get("rows_loaded", row.get("row_count")) or 0)
    error = row.get("first_error", row.get("first_error_message"))
    line = row.get("first_error_line", row.get("first_error_line_number"))
    return FileOutcome(
        key=key,
        status=_status(row.get("status")),
        rows_parsed=parsed,
        rows_loaded=loaded,
        rows_rejected=max(parsed - loaded, 0),
        first_error=str(error) if error else None,
        first_error_line=int(line) if line is not None else None,
    )


def _match_key(file_field: object, keys: Iterable[str]) -> str | None:
    """The lake key a COPY result's `file` names (a URL, a stage path or the key)."""
    text = str(file_field or "")
    for key in keys:
        if text == key or text.endswith("/" + key):
            return key
    return None


def _check_files(
    store: ObjectStore, files: Sequence[CommittedFile], result: EntityResult, force: bool
) -> list[CommittedFile]:
    """Files safe to load: present, and unchanged since their manifest (unless force)."""
    ok = []
    for f in files:
        info = store.head(f.key)
        if info is None:
            result.missing.append(f.key)
        elif info.etag != f.etag and not force:
            result.changed.append(f.key)
        else:
            ok.append(f)
    return ok


def copy_entity(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    store: ObjectStore,
    *,
    force: bool = False,
    strategy: CopyStrategy | None = None,
) -> EntityResult:
    """Mode copy for one entity: COPY its committed files, in one transaction.

    Raises:
        LoadError: the COPY failed (ON_ERROR = ABORT_STATEMENT stops at the first bad
            row; the message names the entity and Snowflake's error, with file and line).
    """
    result = EntityResult(entity.source, entity.entity)
    files = _check_files(store, committed_files(store, entity.source, entity.entity), result, force)
    if not files:
        return result
    strategy = strategy or JsonCopy()
    # One transaction per entity: a --force delete and its COPY commit together.
    conn.autocommit(False)
    cursor = conn.cursor()
    try:
        rows = strategy.copy(cursor, objects, entity, files, force=force)
        conn.commit()
    except LoadError:
        conn.rollback()
        raise
    except Exception as exc:
        conn.rollback()
        message = str(exc).strip().splitlines()
        raise LoadError(
            f"{entity.source}.{entity.entity}: COPY INTO {entity.table} failed, nothing "
            f"from it was committed: {' '.join(message)[:500]}"
        ) from None
    finally:
        conn.autocommit(True)
    keys = [f.key for f in files]
    reported: set[str] = set()
    for row in rows:
        key = _match_key(row.get("file"), keys)
        if key is None:
            continue  # "Copy executed with 0 files processed." and the like
        outcome = _outcome(key, row)
        if outcome.status is FileStatus.SKIPPED:
            result.already_loaded.append(key)
        else:
            result.files.append(outcome)
        reported.add(key)
    # Snowflake leaves files its load metadata already holds out of the result.
    result.already_loaded.extend(k for k in keys if k not in reported)
    return result


def wait_for_pipe(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    store: ObjectStore,
    *,
    timeout: float,
    poll: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> EntityResult:
    """Mode snowpipe for one entity: wait until its pipe has loaded every committed file.

    Only files committed in the last 14 days are awaited: COPY_HISTORY keeps no more.

    Raises:
        LoadError: the timeout passed (names the files still missing), or the pipe is
            not running.
    """
    result = EntityResult(entity.source, entity.entity)
    horizon = datetime.now(UTC) - timedelta(days=14) + timedelta(hours=1)
    wanted: dict[str, CommittedFile] = {}
    oldest = datetime.now(UTC)
    for manifest in read_manifests(store, entity.source, entity.entity):
        if manifest.committed_at < horizon:
            continue
        oldest = min(oldest, manifest.committed_at)
        for f in manifest.files:
            wanted.setdefault(f.key, CommittedFile(f.key, f.records, f.etag))
    files = _check_files(store, list(wanted.values()), result, force=False)
    pending = {f.key for f in files}
    deadline = clock() + timeout
    start = oldest - timedelta(hours=1)
    cursor = conn.cursor()
    while pending:
        for row in copy_history(cursor, objects, entity, start):
            key = _match_key(row.get("file_name"), pending)
            if key is None or str(row.get("status", "")).lower() == "load in progress":
                continue
            result.files.append(_outcome(key, row))
            pending.discard(key)
        if not pending:
            break
        state = _pipe_state(cursor, entity)
        if state not in ("RUNNING", ""):
            raise LoadError(f"{entity.pipe}: pipe is {state}; files waiting: {_few(pending)}")
        if clock() >= deadline:
            raise LoadError(
                f"{entity.source}.{entity.entity}: after {timeout:.0f}s the pipe {entity.pipe} "
                f"has not loaded {len(pending)} committed file(s): {_few(pending)}"
            )
        sleep(min(poll, max(deadline - clock(), 0.0)))
    return result


def _pipe_state(cursor: Any, entity: EntityObjects) -> str:
    import json

    cursor.execute(f"select system$pipe_status('{entity.pipe}')")
    row = cursor.fetchone()
    try:
        status = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return ""
    return str(status.get("executionState", "")).upper()


def _few(keys: Iterable[str], limit: int = 5) -> str:
    items = sorted(keys)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def landing_counts(
    conn: Any,
    objects: SnowflakeObjects,
    pairs: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], int]:
    """Rows in each landing table."""
    cursor = conn.cursor()
    counts = {}
    for source, entity in pairs:
        cursor.execute(f"select count(*) from {objects.entity(source, entity).table}")
        row = cursor.fetchone()
        counts[(source, entity)] = int(row[0]) if row else 0
    return counts


def entity_summary(res: EntityResult, on_error: str, seconds: float = 0.0) -> EntityLoadResult:
    """One entity's Snowflake result in the loader's common summary shape."""
    loaded = [f for f in res.files if f.status in (FileStatus.LOADED, FileStatus.PARTIALLY_LOADED)]
    failed = [f for f in res.files if f.status is FileStatus.LOAD_FAILED]
    # Under SKIP_FILE Snowflake reports a rejected file as LOAD_FAILED: that is a skip.
    skipped = failed if on_error == "skip_file" else []
    return EntityLoadResult(
        source=res.source,
        entity=res.entity,
        on_error=on_error,
        files_loaded=len(loaded),
        files_skipped=len(skipped),
        files_failed=len(failed) - len(skipped) + len(res.missing),
        files_changed=len(res.changed),
        files_up_to_date=len(res.already_loaded),
        rows_loaded=res.rows_loaded,
        rows_rejected=res.rows_rejected,
        seconds=seconds,
        changed_keys=list(res.changed),
        missing_keys=list(res.missing),
        aborted=res.error is not None,
        error=res.error,
    )


def run_snowflake_load(
    cfg: PipelineConfig,
    *,
    only: list[str] | None = None,
    force: bool = False,
    progress: bool = False,
    store: ObjectStore | None = None,
    connection: Any = None,
    strategy: CopyStrategy | None = None,
) -> LoadSummary:
    """`glueflake load` on Snowflake: COPY the committed files (or wait for the pipes).

    An entity with ``on_error: abort`` whose COPY fails is reported as aborted (its
    statement committed nothing) and the entities after it are not attempted, as on
    DuckDB; any other failure raises.

    Args:
        cfg: a config with ``warehouse.type: snowflake``.
        only: ``source`` or ``source.entity`` names; None for all.
        force: reload files already loaded, replacing their rows (mode copy only).
        progress: print one line per entity as it finishes.
        store: the lake (default: opened from ``lake.url``).
        connection: an open connection instead of one from the config.
        strategy: how files are COPY'd (default `JsonCopy`; tests pass `LinesCopy`).

    Raises:
        LoadError: a COPY failed outside ``on_error: abort``, or the snowpipe wait
            timed out naming the missing files.
    """
    from rich.console import Console

    from glueflake.deploy.snowflake import connect
    from glueflake.lake import new_run_id

    wh = warehouse_config(cfg)
    objects = snowflake_objects(cfg)
    store = store or open_lake(cfg)
    console = Console(stderr=True)
    summary = LoadSummary(load_id=new_run_id())
    started = time.perf_counter()
    conn = connection or connect(wh, session_parameters={"TIMEZONE": "UTC"})
    try:
        for source, entity in cfg.select(only):
            on_error = cfg.sources[source].endpoints[entity].on_error
            objs = objects.entity(source, entity)
            t0 = time.perf_counter()
            try:
                if wh.mode == "snowpipe":
                    if force:
                        raise LoadError("--force reloads through COPY; set warehouse.mode: copy")
                    res = wait_for_pipe(conn, objects, objs, store, timeout=wh.snowpipe_timeout)
                else:
                    res = copy_entity(conn, objects, objs, store, force=force, strategy=strategy)
            except LoadError as exc:
                if on_error != "abort" or wh.mode == "snowpipe":
                    raise
                res = EntityResult(source, entity, error=str(exc))
            result = entity_summary(res, on_error, time.perf_counter() - t0)
            summary.entities.append(result)
            if progress:
                console.print(
                    f"{result.name}: {result.files_loaded} file(s), {result.rows_loaded:,} "
                    f"row(s) loaded, {result.rows_rejected:,} rejected",
                    highlight=False,
                )
            if result.aborted:
                break
    finally:
        if connection is None:
            conn.close()
    summary.seconds = time.perf_counter() - started
    return summary


def __getattr__(name: str) -> Any:
    """``snowflake_status``, imported on first use from `glueflake.load.snowflake_status`.

    `glueflake status` finds it here (through `glueflake.load.run`); its module builds
    on this one, so it cannot be imported at the top.
    """
    if name == "snowflake_status":
        from glueflake.load.snowflake_status import snowflake_status

        return snowflake_status
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
