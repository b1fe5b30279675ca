"""What the report reads from the warehouse: row counts, rejects, rescued values, drift.

One small protocol with a DuckDB implementation (read-only, the file closed after)
and an empty one for warehouses the report cannot query from here (Snowflake: the
lake and ledger numbers come from ``glueflake status`` there; row counts are left
out and the report says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import duckdb

from glueflake.config import DuckDBWarehouse, PipelineConfig
from glueflake.load.duckdb.connection import LEDGER_SCHEMA, connect
from glueflake.load.duckdb.ledger import REJECTS
from glueflake.report.model import RejectReason

SCHEMA_HISTORY = "schema_history"
RESCUED_COLUMN = "_rescued"
_DRIFT_ROWS = 50
# "column 7: malformed JSON: ..." -> "malformed JSON: ...": equal reasons at other
# positions group together (the example keeps one file and line).
_POSITION = re.compile(r"^\s*(line \d+,\s*)?(column|byte) \d+:\s*")


class WarehouseFacts(Protocol):
    """Read-only questions the report asks the warehouse."""

    def count(self, relation: str) -> int | None:
        """``count(*)`` of a quoted relation name, None if it does not exist."""
        ...

    def rejects(self, table_name: str) -> list[RejectReason]:
        """Rejected rows of a landing table grouped by reason, most first."""
        ...

    def rescued(self, relation: str) -> int | None:
        """Rows with a rescued value, None if the relation has no ``_rescued`` column."""
        ...

    def drift(self, source: str, entity: str) -> list[dict[str, str]] | None:
        """Schema history rows of an entity, None if there is no such table."""
        ...


class NoFacts:
    """A warehouse the report does not query: every answer is unknown."""

    def count(self, relation: str) -> int | None:
        """Unknown."""
        return None

    def rejects(self, table_name: str) -> list[RejectReason]:
        """Unknown: none listed."""
        return []

    def rescued(self, relation: str) -> int | None:
        """Unknown."""
        return None

    def drift(self, source: str, entity: str) -> list[dict[str, str]] | None:
        """Unknown."""
        return None


class DuckDBFacts:
    """Answers from an open read-only DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._has_history = self._table_exists(LEDGER_SCHEMA, SCHEMA_HISTORY)
        self._has_rejects = self._table_exists(LEDGER_SCHEMA, REJECTS.split(".")[1])

    def _table_exists(self, schema: str, table: str) -> bool:
        row = self._con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        return bool(row and row[0])

    def count(self, relation: str) -> int | None:
        """``count(*)`` of a quoted relation name (from dbt's manifest)."""
        try:
            row = self._con.execute(f"select count(*) from {relation}").fetchone()
        except duckdb.Error:
            return None
        return int(row[0]) if row else None

    def rejects(self, table_name: str) -> list[RejectReason]:
        """Rejected rows of a landing table grouped by reason (position left out)."""
        if not self._has_rejects:
            return []
        rows = self._con.execute(
            f"select reason, file_key, line from {REJECTS} "
            "where table_name = ? order by loaded_at, file_key, line",
            [table_name],
        ).fetchall()
        return group_rejects((str(r or ""), str(k), ln) for r, k, ln in rows)

    def rescued(self, relation: str) -> int | None:
        """Rows whose ``_rescued`` column holds something."""
        try:
            columns = {
                str(c[0]).lower()
                for c in self._con.execute(f"describe select * from {relation}").fetchall()
            }
        except duckdb.Error:
            return None
        if RESCUED_COLUMN not in columns:
            return None
        row = self._con.execute(
            f"select count(*) from {relation} where {RESCUED_COLUMN} is not null "
            f"and cast({RESCUED_COLUMN} as varchar) not in ('', '{{}}', 'null')"
        ).fetchone()
        return int(row[0]) if row else 0

    def drift(self, source: str, entity: str) -> list[dict[str, str]] | None:
        """Rows of ``_glueflake.schema_history`` that name this entity, newest first.

        The table's columns are taken as they are: rows match on ``source`` and
        ``entity`` columns, or on a ``table_name`` of ``source__entity``.
        """
        if not self._has_history:
            return None
        fqn = f"{LEDGER_SCHEMA}.{SCHEMA_HISTORY}"
        cursor = self._con.execute(f"select * from {fqn}")
        names = [str(d[0]) for d in cursor.description or ()]
        out: list[dict[str, str]] = []
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            # "initial": the fields of an entity's first file, not a change.
            if _names_entity(row, source, entity) and row.get("change") != "initial":
                out.append({k: "" if v is None else str(v) for k, v in row.items()})
        return out[-_DRIFT_ROWS:][::-1]


def _names_entity(row: dict[str, object], source: str, entity: str) -> bool:
    if "source" in row and "entity" in row:
        return row["source"] == source and row["entity"] == entity
    for key in ("table_name", "landing_table", "entity"):
        if key in row:
            return str(row[key]).split(".")[-1] in (f"{source}__{entity}", entity)
    return False


def group_rejects(rows: Iterable[tuple[str, str, int | None]]) -> list[RejectReason]:
    """Group (reason, file key, line) rows by reason without its position, most first."""
    groups: dict[str, tuple[int, str]] = {}
    for reason, key, line in rows:
        text = _POSITION.sub("", reason).strip() or "(no reason given)"
        rows_so_far, example = groups.get(text, (0, f"{key}:{line}" if line else key))
        groups[text] = (rows_so_far + 1, example)
    return sorted(
        (RejectReason(reason, n, example) for reason, (n, example) in groups.items()),
        key=lambda r: (-r.rows, r.reason),
    )


@contextmanager
def warehouse_facts(cfg: PipelineConfig) -> Iterator[WarehouseFacts]:
    """Facts of the configured warehouse (DuckDB: read-only; others: none)."""
    if not isinstance(cfg.warehouse, DuckDBWarehouse):
        yield NoFacts()
        return
    path: Path = cfg.resolve_path(cfg.warehouse.path)
    if not path.exists():
        yield NoFacts()
        return
    con = connect(path, read_only=True)
    try:
        yield DuckDBFacts(con)
    finally:
        con.close()
