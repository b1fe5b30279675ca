"""The DuckDB warehouse: loader, ledger, staging and the connection to its one file."""

from glueflake.load.duckdb.backend import DuckDBBackend

__all__ = ["DuckDBBackend"]
