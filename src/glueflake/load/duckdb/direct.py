"""The single pass: clean lake files straight into the landing table, one statement.

The common case is a file whose every line is a JSON object and whose line count is
what its manifest says. Such files need no stage: one ``insert ... select`` reads
them with the same line reader as `staging` (many files per statement, lines numbered
by ``row_number() over ()`` in the reader's file order), parses each line as JSON and
writes the landing rows. The statement refuses anything else, so it never loads a
file differently from the staged path:

- a line that is not a JSON object (malformed, another JSON type, blank) raises
  (a failed cast or ``error()``);
- each file's line numbers are computed from the manifests' counts (the lines before
  it); a line numbered outside ``1..records`` of its file raises, and the statement's
  row count must equal the files' total, so every file has exactly its manifest's
  lines (a truncated gzip member, which DuckDB's reader ends silently, shows here).

Any refusal is `NotClean`; the caller rolls back and takes the staged path, which
finds and reports the bad rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from glueflake.load.duckdb.staging import read_lines

# Lines up to 8 MiB (a 16 MiB read buffer, against 128 MiB for the stage's 64 MiB
# lines): a longer record fails the statement and takes the staged path.
_READ_LINES = read_lines(8 << 20)
_GLOB_CHARS = frozenset("*?[]{}")
# A record is a line that starts (after JSON whitespace) with '{' and parses as JSON.
# The cheap prefix test takes nearly every line; the anchored regexp the rest.
_RECORD = (
    "case when starts_with(line, '{') or regexp_matches(line, '^[ \\t\\r\\n]*\\{') "
    "then line::json else error('glueflake: not a record') end"
)
_NUMBER = "case when n between 1 and (?)[fi] then n else error('glueflake: line count') end"


class NotClean(Exception):
    """The files are not all clean; nothing they hold may be kept from this statement."""


@dataclass(frozen=True)
class CleanInput:
    """One file for the single pass, with what its landing rows carry."""

    key: str
    path: Path
    records: int
    last_modified: datetime
    run_id: str


def insert_clean(
    con: duckdb.DuckDBPyConnection,
    fqn: str,
    files: Sequence[CleanInput],
    loaded_at: datetime,
) -> int:
    """Insert every line of `files` into landing table `fqn`, or refuse.

    Args:
        con: the connection, inside the load's transaction.
        fqn: the quoted landing table.
        files: the files, in load order.
        loaded_at: the landing rows' ``_loaded_at``.

    Returns:
        Rows inserted (the sum of the files' records).

    Raises:
        NotClean: a file is not clean (the transaction must be rolled back: DuckDB
            has aborted it if the statement failed).
    """
    if not files:
        return 0
    if any(_GLOB_CHARS & set(str(f.path)) for f in files):
        raise NotClean("a path the reader would take as a glob")
    offsets, total = [], 0
    for f in files:
        offsets.append(total)
        total += f.records
    try:
        row = con.execute(
            f"insert into {fqn} (record, _file_name, _file_row_number, _file_last_modified, "
            "_run_id, _loaded_at) "
            f"select {_RECORD}, (?)[fi], {_NUMBER}, (?)[fi], (?)[fi], ?::timestamptz from ("
            "select line, fi, g - (?)[fi] as n from ("
            "select line, (file_index + 1)::bigint as fi, row_number() over () as g "
            f"from {_READ_LINES}))",
            [
                [f.key for f in files],
                [f.records for f in files],
                [f.last_modified for f in files],
                [f.run_id for f in files],
                loaded_at,
                offsets,
                [str(f.path) for f in files],
            ],
        ).fetchone()
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error as exc:
        raise NotClean(str(exc)) from exc
    inserted = int(row[0]) if row else 0
    if inserted != total:
        raise NotClean(f"{inserted} lines where the manifests count {total}")
    return inserted
