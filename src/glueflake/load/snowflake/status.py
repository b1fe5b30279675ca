"""What Snowflake's landing schema holds, for `status`: its tables, and per file its rows.

With COPY_HISTORY (`glueflake.load.snowflake.history`) this is Snowflake's side of
`glueflake status`: the landing table's ``count(*)``, and per ``_file_name`` its rows
and latest ``_loaded_at``, so a file loaded before COPY_HISTORY's 14 days still counts
as loaded (with its landing rows as rows loaded; its rejected rows are no longer known).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from glueflake.load.snowflake.history import aware
from glueflake.load.snowflake.sql import EntityObjects, Literal, SnowflakeObjects


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


def landing_files(cursor: Any, entity: EntityObjects) -> dict[str, tuple[int, datetime | None]]:
    """Per ``_file_name`` of the landing table: its rows and latest ``_loaded_at``."""
    cursor.execute(
        f"select _file_name, count(*), max(_loaded_at) from {entity.table} group by _file_name"
    )
    return {str(name): (int(rows), aware(at)) for name, rows, at in cursor.fetchall()}


def landing_count(cursor: Any, entity: EntityObjects) -> int:
    """``count(*)`` of the landing table."""
    cursor.execute(f"select count(*) from {entity.table}")
    row = cursor.fetchone()
    return int(row[0]) if row else 0
