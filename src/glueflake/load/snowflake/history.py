"""Snowflake's record of loads: COPY results and COPY_HISTORY rows as ledger outcomes.

Snowflake keeps no ledger of ours: what a COPY did comes back as its result rows,
and what was loaded before is in ``INFORMATION_SCHEMA.COPY_HISTORY`` (14 days, bulk
COPY and Snowpipe alike) and in the landing table's ``_file_name`` column. This module
turns those into the loader's `FileOutcome` and `LedgerEntry`, for the loader and for
`status` alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from glueflake.lake import ObjectInfo
from glueflake.load.discover import CommittedFile, LedgerEntry
from glueflake.load.snowflake.sql import EntityObjects, Literal, SnowflakeObjects
from glueflake.load.types import FileOutcome, FileStatus

#: COPY_HISTORY (and LOAD_HISTORY) keep 14 days; queries start a little inside that.
HISTORY_WINDOW = timedelta(days=14) - timedelta(hours=1)
#: The load-history columns read, as COPY_HISTORY and LOAD_HISTORY both name them.
HISTORY_COLUMNS = (
    "file_name, status, row_count, row_parsed, first_error_message, "
    "first_error_line_number, last_load_time"
)


def result_rows(cursor: Any) -> list[dict[str, Any]]:
    """The cursor's rows as dicts with lower-case column names."""
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
    return result_rows(cursor)


def file_status(value: object) -> FileStatus:
    """Snowflake's COPY / COPY_HISTORY status in the ledger's vocabulary."""
    text = str(value or "").strip().upper().replace(" ", "_")
    if text == "LOADED":
        return FileStatus.LOADED
    if text == "PARTIALLY_LOADED":
        return FileStatus.PARTIALLY_LOADED
    if text in ("LOAD_FAILED", "FAILED"):
        return FileStatus.LOAD_FAILED
    return FileStatus.SKIPPED


def outcome(key: str, row: Mapping[str, Any]) -> FileOutcome:
    """A COPY result row (or a COPY_HISTORY row, same meaning) as a ledger outcome."""
    parsed = int(row.get("rows_parsed", row.get("row_parsed")) or 0)
    loaded = int(row.get("rows_loaded", row.get("row_count")) or 0)
    error = row.get("first_error", row.get("first_error_message"))
    line = row.get("first_error_line", row.get("first_error_line_number"))
    return FileOutcome(
        key=key,
        status=file_status(row.get("status")),
        rows_parsed=parsed,
        rows_loaded=loaded,
        rows_rejected=max(parsed - loaded, 0),
        first_error=str(error) if error else None,
        first_error_line=int(line) if line is not None else None,
    )


def match_key(file_field: object, keys: Iterable[str]) -> str | None:
    """The lake key a COPY result's `file` names (a URL, a stage path or the key)."""
    text = str(file_field or "")
    for key in keys:
        if text == key or text.endswith("/" + key):
            return key
    return None


def in_progress(row: Mapping[str, Any]) -> bool:
    """Whether a history row is a load still running (not a final status)."""
    return str(row.get("status") or "").strip().lower() == "load in progress"


def load_record(
    committed: Sequence[CommittedFile],
    listing: Mapping[str, ObjectInfo],
    history: Sequence[Mapping[str, Any]],
    landing: Mapping[str, tuple[int, datetime | None]],
) -> dict[str, LedgerEntry]:
    """The committed files Snowflake has loaded, as ledger entries for `classify`.

    A file either source has counts as loaded, whatever its final status (as the DuckDB
    ledger counts any status); a load still in progress does not. Snowflake records no
    etag, so the etag a file was loaded with is taken as the current one when the load
    finished after the file was last modified (the load read this content), and as the
    manifest's otherwise: a file rewritten after its load shows as changed, one
    reloaded with ``--force`` does not.

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
        if in_progress(row):
            continue
        key = match_key(row.get("file_name"), keys)
        if key is None:
            continue
        at = aware(row.get("last_load_time")) or oldest
        if key not in latest or at >= latest[key][0]:
            latest[key] = (at, row)
    ledger: dict[str, LedgerEntry] = {}
    for f in committed:
        if f.key in latest:
            at, row = latest[f.key]
            done = outcome(f.key, row)
            entry = (done.status, done.rows_loaded, done.rows_rejected, at)
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


def aware(value: Any) -> datetime | None:
    """A timestamp from the connector as an aware datetime (naive ones are UTC)."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
