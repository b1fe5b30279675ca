"""The Snowflake loader's offline route (fakesnow 0.11): `LinesCopy`, and load / status
through a given connection and route."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from glueflake.config import PipelineConfig
from glueflake.errors import LoadError
from glueflake.lake import ObjectStore, parse_data_key
from glueflake.load import LoadSummary, StatusReport, lake_status, run_load
from glueflake.load.discover import CommittedFile
from glueflake.load.snowflake import CopyStrategy, SnowflakeBackend
from glueflake.load.snowflake.history import HISTORY_COLUMNS, result_rows
from glueflake.load.snowflake.sql import EntityObjects, Literal, SnowflakeObjects, lake_key

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]+$")


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
            result = result_rows(cursor)
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
        return result_rows(cursor)


def run_snowflake_load(
    cfg: PipelineConfig,
    *,
    store: ObjectStore,
    connection: Any,
    strategy: CopyStrategy | None = None,
    **kw: Any,
) -> LoadSummary:
    """`glueflake load` on Snowflake through a given connection and COPY route."""
    backend = SnowflakeBackend(cfg, connection=connection, strategy=strategy)
    return run_load(cfg, store=store, warehouse=backend, **kw)


def snowflake_status(
    cfg: PipelineConfig,
    *,
    store: ObjectStore,
    connection: Any,
    strategy: CopyStrategy | None = None,
    now: datetime | None = None,
    **kw: Any,
) -> StatusReport:
    """`glueflake status` on Snowflake through a given connection and history route."""
    backend = SnowflakeBackend(cfg, connection=connection, strategy=strategy, now=now)
    return lake_status(cfg, store=store, warehouse=backend, now=now, **kw)
