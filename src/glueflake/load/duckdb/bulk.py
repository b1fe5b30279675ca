"""Moving many Python rows into DuckDB quickly.

Binding a long Python list as a query parameter, or ``executemany``, costs seconds per
hundred thousand rows in the duckdb client. Writing the rows as NDJSON arrays to a
temporary file and letting DuckDB's JSON reader scan it is two orders of magnitude
faster and takes any text (control characters, quotes) verbatim.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import orjson


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Insert rows of JSON-serialisable values into `table`.

    Args:
        con: the connection (its open transaction, if any, is used).
        table: the quoted target table.
        columns: (quoted column name, DuckDB type) pairs, in row order.
        rows: the rows.

    Returns:
        How many rows were written.
    """
    fd, name = tempfile.mkstemp(prefix="glueflake-rows-", suffix=".ndjson")
    count = longest = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for row in rows:
                line = orjson.dumps(list(row))
                fh.write(line)
                fh.write(b"\n")
                count += 1
                longest = max(longest, len(line))
        if count:
            names = ", ".join(c for c, _ in columns)
            values = ", ".join(f"cast(json ->> {i} as {typ})" for i, (_, typ) in enumerate(columns))
            con.execute(
                f"insert into {table} ({names}) select {values} "
                "from read_ndjson_objects(?, maximum_object_size = ?)",
                [name, _object_size(longest)],
            )
    finally:
        os.unlink(name)
    return count


def _object_size(longest: int) -> int:
    """The reader's ``maximum_object_size`` for lines of at most `longest` bytes.

    DuckDB's JSON reader takes buffers of several times this size (about 16x), so
    the old fixed 1 GiB asked for gigabytes per insert: harmless only without a
    memory limit. A power of two above the longest line, at least 1 MiB.
    """
    size = 1 << 20
    while size <= longest:
        size <<= 1
    return size
