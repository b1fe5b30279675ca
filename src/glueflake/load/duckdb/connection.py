"""The DuckDB warehouse file: connecting, quoting names, creating landing tables.

SQL identifiers are built only from validated configuration names (source, entity,
landing schema), always quoted; nothing read from the lake becomes an identifier.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from glueflake.config import DuckDBWarehouse, PipelineConfig
from glueflake.errors import LoadError, WarehouseBusy

LEDGER_SCHEMA = "_glueflake"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

LANDING_COLUMNS = (
    "record json",
    "_file_name varchar",
    "_file_row_number bigint",
    "_file_last_modified timestamptz",
    "_run_id varchar",
    "_loaded_at timestamptz",
)


def quote_ident(name: str, what: str = "name") -> str:
    """Quote a configured name as a SQL identifier, refusing anything unusual.

    Raises:
        LoadError: the name is not letters, digits and underscores.
    """
    if not _NAME.match(name):
        raise LoadError(f"{what} {name!r} is not a valid SQL name (letters, digits, _)")
    return f'"{name}"'


def duckdb_settings(cfg: PipelineConfig) -> DuckDBWarehouse:
    """The DuckDB warehouse settings of `cfg` (LoadError if it is another warehouse)."""
    if not isinstance(cfg.warehouse, DuckDBWarehouse):
        raise LoadError(f"warehouse.type is {cfg.warehouse.type!r}, not 'duckdb'")
    return cfg.warehouse


def warehouse_path(cfg: PipelineConfig) -> Path:
    """Where the DuckDB file is (relative paths taken from the config's folder)."""
    return cfg.resolve_path(duckdb_settings(cfg).path)


def landing_table(cfg: PipelineConfig, source: str, entity: str) -> str:
    """The quoted ``schema.table`` of an entity's landing table."""
    schema = quote_ident(duckdb_settings(cfg).landing_schema, "warehouse.landing_schema")
    return f"{schema}.{quote_ident(f'{source}__{entity}', 'landing table')}"


def connect(
    path: Path,
    *,
    read_only: bool = False,
    settings: Mapping[str, str | int | bool] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating its folder unless read-only).

    Args:
        path: the DuckDB file.
        read_only: open it read-only (it must exist).
        settings: DuckDB configuration options for this connection's database.

    Raises:
        WarehouseBusy: another process holds the file (its lock).
        LoadError: it cannot be opened.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(settings or {}))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(
                f"warehouse {path} is in use by another process (a load or watch?): {exc}"
            ) from None
        raise LoadError(f"cannot open warehouse {path}: {exc}") from None


@contextmanager
def pandas_unimportable() -> Iterator[None]:
    """Keep DuckDB from importing pandas while glueflake talks to the warehouse.

    DuckDB 1.5's Python client imports pandas (and numpy) the first time a statement
    binds a parameter, to check whether the value is one of pandas' own: 0.3-0.5 s,
    most of a small day's load or of a status check. glueflake hands DuckDB no pandas
    object, so for the duration pandas cannot be imported (DuckDB then skips those
    checks), unless it already was. Afterwards it imports as usual: dbt's Python
    models need it.
    """
    if "pandas" in sys.modules:
        yield
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # import pandas -> ImportError
    try:
        yield
    finally:
        if "pandas" in sys.modules and sys.modules["pandas"] is None:
            del sys.modules["pandas"]


def ensure_landing_table(con: duckdb.DuckDBPyConnection, cfg: PipelineConfig, fqn: str) -> None:
    """Create the landing schema and table `fqn` if missing (columns of contracts.md)."""
    schema = quote_ident(duckdb_settings(cfg).landing_schema, "warehouse.landing_schema")
    con.execute(f"create schema if not exists {schema}")
    con.execute(f"create table if not exists {fqn} ({', '.join(LANDING_COLUMNS)})")
