"""Schema drift at load: top-level fields appearing in or vanishing from an entity.

The loader sees every record. Inside the load's transaction, after the landing rows
are written, one query lists the top-level keys of each file's records
(``json_keys`` over the rows of this load only); each file's set is compared, in
load order, with the fields the entity's records have had so far. A difference is
an event in ``_glueflake.schema_history`` (one row per field and change) and is
reported by the load and by `glueflake status`. The very first file of an entity
records its fields as ``initial`` (not reported). Records are never altered.
"""

from __future__ import annotations

import os
from datetime import datetime

import duckdb

from glueflake.load.duckdb.bulk import insert_rows
from glueflake.load.duckdb.connection import LEDGER_SCHEMA
from glueflake.load.types import SchemaChange

SCHEMA_HISTORY = f"{LEDGER_SCHEMA}.schema_history"
DDL = f"""create table if not exists {SCHEMA_HISTORY} (
    table_name varchar not null,
    position bigint not null,
    field varchar not null,
    change varchar not null,
    file_key varchar not null,
    load_id varchar,
    detected_at timestamptz not null
)"""
_PRESENT = ("initial", "new", "back")


def record_schema_changes(
    con: duckdb.DuckDBPyConnection,
    landing_fqn: str,
    table_name: str,
    *,
    loaded_at: datetime,
    load_id: str,
) -> list[SchemaChange]:
    """Compare the top-level keys of this load's files with the entity's history.

    Args:
        con: the connection, inside the load's transaction (after the rows are in).
        landing_fqn: the quoted landing table.
        table_name: ``<source>__<entity>``.
        loaded_at: this load's ``_loaded_at`` (selects the rows it wrote).
        load_id: this load's id.

    Returns:
        The changes found (``initial`` ones excluded), in load order.
    """
    per_file = _fields_per_file(con, landing_fqn, loaded_at)
    if not per_file:
        return []
    history = con.execute(
        f"select field, change, position from {SCHEMA_HISTORY} "
        "where table_name = ? order by position",
        [table_name],
    ).fetchall()
    state = {field: change for field, change, _ in history}
    position = max((p for _, _, p in history), default=0)
    present = {f for f, c in state.items() if c in _PRESENT}
    events: list[tuple[str, str, str]] = []
    for file_key, fields in per_file:
        keys = set(fields)
        if not state:  # the entity's first file: its fields are the baseline
            found = [(field, "initial", file_key) for field in sorted(keys)]
        else:
            found = [
                (field, "back" if state.get(field) == "gone" else "new", file_key)
                for field in sorted(keys - present)
            ]
            found += [(field, "gone", file_key) for field in sorted(present - keys)]
        for field, change, _ in found:
            state[field] = change
        present = keys
        events.extend(found)
    if not events:
        return []
    insert_rows(
        con,
        SCHEMA_HISTORY,
        [
            ("table_name", "varchar"),
            ("position", "bigint"),
            ("field", "varchar"),
            ("change", "varchar"),
            ("file_key", "varchar"),
            ("load_id", "varchar"),
            ("detected_at", "timestamptz"),
        ],
        (
            (table_name, position + i, field, change, file_key, load_id, loaded_at.isoformat())
            for i, (field, change, file_key) in enumerate(events, start=1)
        ),
    )
    return [SchemaChange(f, c, k) for f, c, k in events if c != "initial"]


def _fields_per_file(
    con: duckdb.DuckDBPyConnection, landing_fqn: str, loaded_at: datetime
) -> list[tuple[str, list[str]]]:
    """The top-level keys of each file of this load, by file key in load order.

    The one query that parses every record again, so it may use all the cores
    (the single pass runs on one thread): every record is read, and each file's
    distinct (file, key) pairs are all that comes back.
    """
    threads = con.execute("select current_setting('threads')").fetchone()
    con.execute(f"set threads = {max(os.cpu_count() or 1, 1)}")
    try:
        pairs = con.execute(
            "select distinct _file_name, unnest(json_keys(record)) "
            f"from {landing_fqn} where _loaded_at = ?",
            [loaded_at],
        ).fetchall()
    finally:
        con.execute(f"set threads = {int(threads[0]) if threads else 1}")
    fields: dict[str, list[str]] = {}
    for file_key, field in pairs:
        fields.setdefault(file_key, []).append(field)
    return [(key, sorted(fields[key])) for key in sorted(fields)]


def read_schema_changes(
    con: duckdb.DuckDBPyConnection, table_name: str, *, limit: int = 5
) -> list[SchemaChange]:
    """The latest ``limit`` reported changes of an entity (oldest first); [] if none."""
    try:
        rows = con.execute(
            f"select field, change, file_key from {SCHEMA_HISTORY} "
            "where table_name = ? and change != 'initial' order by position desc limit ?",
            [table_name, limit],
        ).fetchall()
    except duckdb.CatalogException:  # a warehouse from before schema history
        return []
    return [SchemaChange(f, c, k) for f, c, k in reversed(rows)]
