"""DuckDB behind the `Warehouse` interface: one file, its ledger, its landing tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
from rich.progress import Progress

from glueflake.config import OnError, PipelineConfig
from glueflake.lake import ObjectInfo, ObjectStore
from glueflake.load.discover import CommittedFile, EntityPlan, LedgerEntry
from glueflake.load.duckdb.connection import (
    connect,
    landing_table,
    pandas_unimportable,
    warehouse_path,
)
from glueflake.load.duckdb.ledger import ensure_ledger, ledger_exists, read_ledger
from glueflake.load.duckdb.loader import LOAD_SETTINGS, load_entity
from glueflake.load.duckdb.schema_history import read_schema_changes
from glueflake.load.status import EntityStatus, entity_status
from glueflake.load.summary import EntityLoadResult


class DuckDBBackend:
    """The embedded warehouse: data and ledger rows of a file in one transaction."""

    dedupes_loads = False
    verifies_on_read = True

    def __init__(self, cfg: PipelineConfig) -> None:
        """Bind to the config's DuckDB file (LoadError if the warehouse is not DuckDB)."""
        self.cfg = cfg
        self.path: Path = warehouse_path(cfg)
        self.con: duckdb.DuckDBPyConnection | None = None
        self._has_ledger = False
        self._session = ExitStack()

    @property
    def location(self) -> str:
        """The DuckDB file."""
        return str(self.path)

    @property
    def exists(self) -> bool:
        """Whether the DuckDB file exists."""
        return self.path.exists()

    def connect(self, *, read_only: bool = False) -> None:
        """Open the file (read-only: only if it exists; loading: create the ledger).

        Until `close`, pandas is not imported (see `pandas_unimportable`).
        """
        self._session.enter_context(pandas_unimportable())
        try:
            if read_only:
                if self.path.exists():
                    self.con = connect(self.path, read_only=True)
                    self._has_ledger = ledger_exists(self.con)
                return
            self.con = connect(self.path, settings=LOAD_SETTINGS)
            ensure_ledger(self.con)
            self._has_ledger = True
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the file."""
        try:
            if self.con is not None:
                self.con.close()
                self.con = None
        finally:
            self._session.close()

    def ledger(
        self,
        source: str,
        entity: str,
        committed: Sequence[CommittedFile],
        listing: Mapping[str, ObjectInfo],
    ) -> Mapping[str, LedgerEntry]:
        """The ``load_history`` rows of the entity's landing table."""
        if self.con is None or not self._has_ledger:
            return {}
        return read_ledger(self.con, f"{source}__{entity}")

    def load(
        self,
        plan: EntityPlan,
        on_error: OnError,
        *,
        store: ObjectStore,
        force: bool,
        load_id: str,
        bar: Progress | None = None,
    ) -> EntityLoadResult:
        """The single pass, or the staged path (see `glueflake.load.duckdb.loader`)."""
        assert self.con is not None, "connect() first"
        return load_entity(
            self.con, self.cfg, store, plan, on_error, load_id=load_id, bar=bar, force=force
        )

    def status(self, plan: EntityPlan) -> EntityStatus:
        """The shared status, with the landing table's ``count(*)`` and schema changes."""
        status = entity_status(plan, self._count(landing_table(self.cfg, plan.source, plan.entity)))
        if self.con is not None and self._has_ledger:
            status.schema_changes = read_schema_changes(self.con, plan.table)
        return status

    def dbt_settings(self) -> Mapping[str, Any]:
        """The DuckDB file, which dbt's DuckDB targets build in."""
        return {"duckdb_path": self.path}

    def _count(self, fqn: str) -> int | None:
        if self.con is None:
            return None
        try:
            row = self.con.execute(f"select count(*) from {fqn}").fetchone()
        except duckdb.CatalogException:
            return None
        return int(row[0]) if row else None
