"""`glueflake status` on Snowflake: the lake's commits against Snowflake's load metadata.

Per entity, the same `EntityStatus` as on DuckDB. The lake side (committed files and
records, pending, changed, missing, orphaned, in flight) comes from the manifests and
the listing through `glueflake.load.discover`, exactly as on DuckDB. In place of
DuckDB's ledger, the load record of each committed file is built from two sources:

- the load route's history (`CopyStrategy.load_history`): in production
  ``INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => <landing table>, START_TIME => ...)``,
  which covers bulk COPY and Snowpipe loads for the last 14 days. Per file its latest
  load: status, rows loaded (ROW_COUNT), rows rejected (ROW_PARSED - ROW_COUNT) and the
  load time (LAST_LOAD_TIME).
- the landing table itself: ``count(*)``, and per ``_file_name`` its rows and latest
  ``_loaded_at``, so a file loaded before COPY_HISTORY's 14 days still counts as
  loaded (with its landing rows as rows loaded; its rejected rows are no longer known).

A file either source has counts as loaded, whatever its final status (as the DuckDB
ledger counts any status); a load still in progress does not. Snowflake records no
etag, so the etag a file was loaded with is taken as the current one when the load
finished after the file was last modified (the load read this content) and as the
manifest's otherwise (the loader COPYs only files that match their manifest): a file
rewritten after its load shows as changed, one reloaded with ``--force`` does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from glueflake.config import PipelineConfig
from glueflake.deploy.snowflake_sql import (
    EntityObjects,
    Literal,
    SnowflakeObjects,
    snowflake_objects,
    warehouse_config,
)
from glueflake.lake import ObjectInfo, ObjectStore, open_lake
from glueflake.load.discover import (
    DEFAULT_ORPHAN_GRACE,
    CommittedFile,
    LedgerEntry,
    classify,
    committed_files,
    list_entity,
    object_sha256,
)
from glueflake.load.snowflake import (
    HISTORY_WINDOW,
    CopyStrategy,
    JsonCopy,
    _match_key,
    _outcome,
)
from glueflake.load.status import EntityStatus, StatusReport
from glueflake.load.typing import FileStatus


def snowflake_status(
    cfg: PipelineConfig,
    *,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    only: list[str] | None = None,
    store: ObjectStore | None = None,
    connection: Any = None,
    strategy: CopyStrategy | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """The status of the selected entities on Snowflake (reads only; loads nothing).

    Works before the database or the landing tables exist (their committed files are
    all pending, landing rows unknown).

    Args:
        cfg: a config with ``warehouse.type: snowflake``.
        orphan_grace: uncommitted files older than this count as orphans.
        only: ``source`` or ``source.entity`` names; None for all.
        store: the lake (default: opened from ``lake.url``).
        connection: an open connection instead of one from the config.
        strategy: the load route whose history to read (default `JsonCopy`:
            COPY_HISTORY; the offline tests pass `LinesCopy`).
        now: the time to judge orphans' age and the history window by (default: now).

    Returns:
        The report, printable as on DuckDB.
    """
    from glueflake.deploy.snowflake import connect

    wh = warehouse_config(cfg)
    objects = snowflake_objects(cfg)
    store = store or open_lake(cfg)
    now = now or datetime.now(UTC)
    strategy = strategy or JsonCopy()
    report = StatusReport(store.url, f"snowflake {wh.account} {objects.database}.{objects.schema}")
    conn = connection or connect(wh, session_parameters={"TIMEZONE": "UTC"})
    try:
        cursor = conn.cursor()
        tables = landing_tables(cursor, objects)
        report.warehouse_exists = tables is not None
        for source, entity in cfg.select(only):
            objs = objects.entity(source, entity)
            exists = str(objs.table.parts[-1]).upper() in (tables or set())
            report.entities.append(
                entity_status(
                    cursor,
                    objects,
                    objs,
                    store,
                    strategy if exists else None,
                    now=now,
                    orphan_grace=orphan_grace,
                )
            )
    finally:
        if connection is None:
            conn.close()
    return report


def landing_tables(cursor: Any, objects: SnowflakeObjects) -> set[str] | None:
    """The tables of the landing schema (upper-case names); None without the database.

    Snowflake answers "does not exist or not authorized" alike: for this role, either
    way, there is nothing loaded to read.
    """
    from snowflake.connector.errors import ProgrammingError

    try:
        cursor.execute(
            f"select table_name from {objects.database}.information_schema.tables "
            f"where table_schema = {Literal(str(objects.schema))}"
        )
    except ProgrammingError:
        return None
    return {str(row[0]).upper() for row in cursor.fetchall()}


def entity_status(
    cursor: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    store: ObjectStore,
    strategy: CopyStrategy | None,
    *,
    now: datetime,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
) -> EntityStatus:
    """One entity's status; `strategy` None means its landing table does not exist.

    Args:
        cursor: a cursor on the Snowflake connection.
        objects: the validated Snowflake names.
        entity: the entity's objects.
        store: the lake.
        strategy: the load route whose history to read, or None (no landing table).
        now: the current time (aware).
        orphan_grace: uncommitted files older than this count as orphans.

    Returns:
        The entity's status.
    """
    manifests, listing = list_entity(store, entity.source, entity.entity)
    committed = committed_files(manifests)
    history: list[dict[str, Any]] = []
    by_file: dict[str, tuple[int, datetime | None]] = {}
    landing_rows: int | None = None
    if strategy is not None:
        history = strategy.load_history(cursor, objects, entity, now - HISTORY_WINDOW)
        by_file = landing_files(cursor, entity)
        landing_rows = landing_count(cursor, entity)
    ledger = load_record(committed, listing, history, by_file)
    plan = classify(
        entity.source,
        entity.entity,
        committed,
        listing,
        ledger,
        now=now,
        orphan_grace=orphan_grace,
        content_sha256=lambda key: object_sha256(store, key),
    )
    counted = [e for k, e in ledger.items() if k in {f.key for f in plan.committed}]
    times = [t for t in (_aware(r.get("last_load_time")) for r in history) if t is not None]
    times += [t for _, t in by_file.values() if t is not None]
    return EntityStatus(
        source=entity.source,
        entity=entity.entity,
        lake_files=len(plan.committed),
        lake_records=sum(f.records for f in plan.committed),
        loaded_files=len(counted),
        loaded_rows=sum(e.rows_loaded for e in counted),
        rejected_rows=sum(e.rows_rejected for e in counted),
        landing_rows=landing_rows,
        pending_files=len(plan.pending),
        orphaned_files=len(plan.orphans),
        in_flight_files=len(plan.in_flight),
        changed_files=len(plan.changed),
        missing_files=len(plan.missing),
        last_loaded_at=max(times, default=None),
        orphan_keys=[o.key for o in plan.orphans],
    )


def landing_files(cursor: Any, entity: EntityObjects) -> dict[str, tuple[int, datetime | None]]:
    """Per ``_file_name`` of the landing table: its rows and latest ``_loaded_at``."""
    cursor.execute(
        f"select _file_name, count(*), max(_loaded_at) from {entity.table} group by _file_name"
    )
    return {str(name): (int(rows), _aware(at)) for name, rows, at in cursor.fetchall()}


def landing_count(cursor: Any, entity: EntityObjects) -> int:
    """``count(*)`` of the landing table."""
    cursor.execute(f"select count(*) from {entity.table}")
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def load_record(
    committed: Sequence[CommittedFile],
    listing: Mapping[str, ObjectInfo],
    history: Sequence[Mapping[str, Any]],
    landing: Mapping[str, tuple[int, datetime | None]],
) -> dict[str, LedgerEntry]:
    """The committed files Snowflake has loaded, as ledger entries for `classify`.

    Args:
        committed: the entity's committed files (from its manifests).
        listing: the lake's current objects by key (for last-modified and etag).
        history: load-history rows (`HISTORY_COLUMNS`), any order.
        landing: per lake key, the landing table's rows and latest ``_loaded_at``.

    Returns:
        Per loaded committed key, its entry: the latest final history record, or, for a
        file only the landing table has (loaded before the history window), its rows.
    """
    keys = [f.key for f in committed]
    latest: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
    oldest = datetime.min.replace(tzinfo=UTC)
    for row in history:
        if str(row.get("status") or "").strip().lower() == "load in progress":
            continue
        key = _match_key(row.get("file_name"), keys)
        if key is None:
            continue
        at = _aware(row.get("last_load_time")) or oldest
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, row)
    ledger: dict[str, LedgerEntry] = {}
    for f in committed:
        if f.key in latest:
            at, row = latest[f.key]
            outcome = _outcome(f.key, dict(row))
            entry = (outcome.status, outcome.rows_loaded, outcome.rows_rejected, at)
        elif f.key in landing:
            rows, loaded_at = landing[f.key]
            entry = (FileStatus.LOADED, rows, 0, loaded_at or oldest)
        else:
            continue
        status, rows_loaded, rows_rejected, loaded_at = entry
        info = listing.get(f.key)
        read_current = info is not None and loaded_at >= info.last_modified
        ledger[f.key] = LedgerEntry(
            key=f.key,
            etag=info.etag if read_current and info is not None else f.etag,
            sha256=f.sha256,
            status=status,
            rows_loaded=rows_loaded,
            rows_rejected=rows_rejected,
            loaded_at=None if loaded_at == oldest else loaded_at,
        )
    return ledger


def _aware(value: Any) -> datetime | None:
    """A timestamp from the connector as an aware datetime (naive ones are UTC)."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
