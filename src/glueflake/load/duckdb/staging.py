"""Reading lake files into a temporary stage table, one row per line, set-wise.

The fast path hands many files to DuckDB's CSV reader in one statement, with one
column per line (no quoting, a delimiter that valid JSON cannot contain raw), and
numbers lines with ``row_number() over ()``, which follows the reader's file order
(DuckDB documents both the CSV reader and an empty ``over ()`` as order-preserving).
Each file's lines must come out contiguous and as many as its manifest says; any
file that breaks the statement or fails those checks (DuckDB silently stops at a
truncated gzip member) is read again on its own, and if that fails too, in Python
(`gzip_lines`), which keeps every line before the break.

Staging runs outside the load transaction, so a reader error never aborts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from glueflake.load.duckdb.bulk import insert_rows
from glueflake.load.duckdb.gzip_lines import split_lines
from glueflake.load.duckdb.reasons import reject_reason
from glueflake.load.types import RejectRow

STAGE = "glueflake_stage"
_PY_STAGE = "glueflake_stage_py"
# JSON whitespace is space, tab, CR, LF; RE2 reads the escapes. (trim() with a
# character list is ~10x slower than an anchored regexp here.)
# A line is a record when it parses as JSON and starts (after JSON whitespace) with
# '{'. The JSON value is parsed once, here, and kept; the raw text is kept only for
# lines that are not records. (trim() with a character list is ~10x slower than an
# anchored regexp; RE2 reads the escapes.)
_REC = r"case when regexp_matches(line, '^[ \t\r\n]*\{') then try_cast(line as json) end"
_BLANK = r"(line is null or regexp_matches(line, '^[ \t\r\n]*$'))"
_STAGE_COLUMNS = "fi, g, rec, case when rec is null and not blank then line end, blank"
_BAD = "rec is null and not blank"
_DELIM = "\x01"  # a raw control character: never inside valid JSON text
_MAX_LINE = 64 << 20


def read_lines(max_line: int = _MAX_LINE) -> str:
    """The line reader over the files of one list parameter (lines up to `max_line`).

    Its buffer is twice `max_line`, allocated per file read: the single pass uses a
    smaller one than the stage (a longer line fails it and takes the staged path).
    """
    return (
        "read_csv(?, columns = {'line': 'VARCHAR'}, header = false, "
        f"delim = '{_DELIM}', quote = '', escape = '', auto_detect = false, "
        f"compression = 'gzip', max_line_size = {max_line}, buffer_size = {2 * max_line})"
    )


READ_LINES = read_lines()
_GLOB_CHARS = frozenset("*?[]{}")


@dataclass(frozen=True)
class StageInput:
    """One file to stage: its local path and the record count its manifest promises."""

    key: str
    path: Path
    expected_records: int


@dataclass
class StagedFile:
    """One staged file.

    Attributes:
        key: its lake key.
        row_offset: subtract from a stage row's ``g`` to get the file's line number.
        records: non-blank lines (bad ones included) plus Python-side rejects.
        bad: lines that are not loadable records (stage and Python-side).
        python_rejects: rejects found while reading in Python (undecodable bytes, a
            broken gzip tail); the stage does not hold these lines.
        via_python: whether the slow path read it.
    """

    key: str
    row_offset: int = 0
    records: int = 0
    bad: int = 0
    python_rejects: list[RejectRow] = field(default_factory=list)
    via_python: bool = False


def create_stage(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the empty temporary stage tables."""
    con.execute(
        f"create or replace temp table {STAGE} "
        "(fi integer, g bigint, rec json, line varchar, blank boolean)"
    )
    con.execute(f"create or replace temp table {_PY_STAGE} (fi integer, g bigint, line varchar)")


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the stage tables (their memory goes back)."""
    con.execute(f"drop table if exists {STAGE}")
    con.execute(f"drop table if exists {_PY_STAGE}")


def stage_files(
    con: duckdb.DuckDBPyConnection, files: Sequence[StageInput], *, first_fi: int = 0
) -> dict[int, StagedFile]:
    """Read `files` into the stage, numbering them from `first_fi`.

    Args:
        con: the connection, with no transaction open (autocommit).
        files: the files, in load order.
        first_fi: the stage file index of ``files[0]``.

    Returns:
        The staged files by stage file index.
    """
    staged = {first_fi + i: StagedFile(f.key) for i, f in enumerate(files)}
    fast = [i for i, f in enumerate(files) if not _GLOB_CHARS & set(str(f.path))]
    slow = sorted(set(range(len(files))) - set(fast))
    if fast and not _read_batch(con, [files[i].path for i in fast], [first_fi + i for i in fast]):
        for i in fast:
            if not _read_batch(con, [files[i].path], [first_fi + i]):
                slow.append(i)
    checked = _check(con, {first_fi + i: files[i] for i in fast if i not in slow}, staged)
    for fi in checked:
        con.execute(f"delete from {STAGE} where fi = ?", [fi])
        slow.append(fi - first_fi)
    for i in sorted(set(slow)):
        _read_python(con, files[i], first_fi + i, staged[first_fi + i])
    return staged


def _read_batch(con: duckdb.DuckDBPyConnection, paths: list[Path], fis: list[int]) -> bool:
    """One statement over `paths`; False (and nothing inserted) if DuckDB refuses."""
    try:
        con.execute(
            f"insert into {STAGE} select {_STAGE_COLUMNS} from ("
            f"select *, {_REC} as rec, {_BLANK} as blank from ("
            "select (?)[(file_index + 1)::bigint] as fi, row_number() over () as g, line "
            f"from {READ_LINES}))",
            [fis, [str(p) for p in paths]],
        )
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error:
        return False
    return True


def _check(
    con: duckdb.DuckDBPyConnection, wanted: dict[int, StageInput], staged: dict[int, StagedFile]
) -> list[int]:
    """Fill in counts of the fast-path files; return those to read again in Python."""
    if not wanted:
        return []
    rows = con.execute(
        f"select fi, count(*), min(g), max(g), count(*) filter (where not blank), "
        f"count(*) filter (where {_BAD}) from {STAGE} "
        "where fi in (select unnest(?)) group by fi",
        [list(wanted)],
    ).fetchall()
    seen = {fi: (n, lo, hi, records, bad) for fi, n, lo, hi, records, bad in rows}
    redo = []
    for fi, spec in wanted.items():
        n, lo, hi, records, bad = seen.get(fi, (0, 1, 0, 0, 0))
        if hi - lo + 1 != n or records != spec.expected_records:
            redo.append(fi)
            continue
        staged[fi].row_offset = lo - 1
        staged[fi].records = records
        staged[fi].bad = bad
    return redo


def _read_python(
    con: duckdb.DuckDBPyConnection, spec: StageInput, fi: int, out: StagedFile
) -> None:
    """The slow path: decompress in Python, keep lines up to a break, stage them."""
    decoded = split_lines(spec.path.read_bytes())
    rows: list[tuple[int, int, str]] = []
    for number, raw in enumerate(decoded.lines, 1):
        try:
            rows.append((fi, number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            out.python_rejects.append(
                RejectRow(number, text, f"byte {exc.start + 1}: invalid UTF-8")
            )
    if decoded.problem is not None:
        out.python_rejects.append(
            RejectRow(
                len(decoded.lines) + 1,
                decoded.tail.decode("utf-8", errors="replace"),
                decoded.problem,
            )
        )
    con.execute(f"delete from {_PY_STAGE}")
    insert_rows(con, _PY_STAGE, [("fi", "integer"), ("g", "bigint"), ("line", "varchar")], rows)
    con.execute(
        f"insert into {STAGE} select {_STAGE_COLUMNS} from ("
        f"select *, {_REC} as rec, {_BLANK} as blank from {_PY_STAGE})"
    )
    counts = con.execute(
        f"select count(*) filter (where not blank), count(*) filter (where {_BAD}) "
        f"from {STAGE} where fi = ?",
        [fi],
    ).fetchone()
    records, bad = counts if counts else (0, 0)
    out.via_python = True
    out.row_offset = 0
    out.records = records + len(out.python_rejects)
    out.bad = bad + len(out.python_rejects)


def stage_rejects(
    con: duckdb.DuckDBPyConnection, staged: dict[int, StagedFile]
) -> dict[int, list[RejectRow]]:
    """Every bad line of the staged files, by stage file index, in line order."""
    out: dict[int, list[RejectRow]] = {fi: list(s.python_rejects) for fi, s in staged.items()}
    wanted = [fi for fi, s in staged.items() if s.bad > len(s.python_rejects)]
    if wanted:
        rows = con.execute(
            f"select fi, g, line, case when json_valid(line) then json_type(line) end "
            f"from {STAGE} where {_BAD} and fi in (select unnest(?)) "
            "order by fi, g",
            [wanted],
        ).fetchall()
        for fi, g, line, json_type in rows:
            number = g - staged[fi].row_offset
            out[fi].append(RejectRow(number, line, reject_reason(line, json_type)))
    for rejects in out.values():
        rejects.sort(key=lambda r: r.line)
    return out
