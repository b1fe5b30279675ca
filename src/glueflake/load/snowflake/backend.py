"""Snowflake behind the `Warehouse` interface: COPY or Snowpipe, and its load history.

Loading relies on Snowflake's own load metadata to skip files already loaded
(``dedupes_loads``): every committed, unchanged file is handed to COPY, whose
``FILES`` list names it. `status` reads what was loaded from the load route's history
(`CopyStrategy.load_history`: COPY_HISTORY in production) and the landing table.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.progress import Progress

from glueflake.config import OnError, PipelineConfig
from glueflake.errors import LoadError
from glueflake.lake import ObjectInfo, ObjectStore
from glueflake.load.discover import CommittedFile, EntityPlan, LedgerEntry
from glueflake.load.snowflake.connection import connect
from glueflake.load.snowflake.history import HISTORY_WINDOW, load_record
from glueflake.load.snowflake.loader import (
    CopyStrategy,
    EntityResult,
    JsonCopy,
    copy_plan,
    entity_summary,
    wait_for_plan,
)
from glueflake.load.snowflake.sql import snowflake_objects, warehouse_config
from glueflake.load.snowflake.status import landing_count, landing_files, landing_tables
from glueflake.load.status import EntityStatus, entity_status
from glueflake.load.summary import EntityLoadResult


class SnowflakeBackend:
    """Snowflake landing tables loaded by COPY INTO (mode copy) or by pipes (snowpipe)."""

    dedupes_loads = True
    verifies_on_read = False

    def __init__(
        self,
        cfg: PipelineConfig,
        *,
        connection: Any = None,
        strategy: CopyStrategy | None = None,
        now: datetime | None = None,
    ) -> None:
        """Validate the config's Snowflake names (nothing is connected yet).

        Args:
            cfg: a config with ``warehouse.type: snowflake``.
            connection: an open connection to use instead of one from the config
                (it is not closed).
            strategy: how files are COPY'd and where that is recorded (default
                `JsonCopy`: the pipe's COPY INTO and COPY_HISTORY).
            now: the time the history window of `status` ends (default: now).

        Raises:
            SnowflakeConfigError: a name is not usable in Snowflake SQL (names the field).
        """
        self.settings = warehouse_config(cfg)
        self.objects = snowflake_objects(cfg)
        self.strategy = strategy or JsonCopy()
        self.now = now
        self._given = connection
        self.conn: Any = None
        self._tables: set[str] | None = None

    @property
    def location(self) -> str:
        """The account, database and landing schema."""
        return f"snowflake {self.settings.account} {self.objects.database}.{self.objects.schema}"

    @property
    def exists(self) -> bool:
        """Whether the landing schema exists (for this role), after a read-only connect."""
        return self._tables is not None

    def connect(self, *, read_only: bool = False) -> None:
        """Connect (session in UTC); read-only also lists the landing tables."""
        self.conn = self._given or connect(self.settings, session_parameters={"TIMEZONE": "UTC"})
        if read_only:
            self._tables = landing_tables(self.conn.cursor(), self.objects)

    def close(self) -> None:
        """Close the connection this backend opened."""
        if self.conn is not None and self._given is None:
            self.conn.close()
        self.conn = None

    def ledger(
        self,
        source: str,
        entity: str,
        committed: Sequence[CommittedFile],
        listing: Mapping[str, ObjectInfo],
    ) -> Mapping[str, LedgerEntry]:
        """The load history's latest record per committed file, else the landing table's."""
        objs = self.objects.entity(source, entity)
        if self.conn is None or not self._has_table(source, entity):
            return {}
        cursor = self.conn.cursor()
        since = (self.now or datetime.now(UTC)) - HISTORY_WINDOW
        history = self.strategy.load_history(cursor, self.objects, objs, since)
        return load_record(committed, listing, history, landing_files(cursor, objs))

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
        """COPY the pending files (or wait for the pipe to load them).

        The stage reads the same lake as `store`.

        An entity with ``on_error: abort`` whose COPY fails is reported as aborted (its
        statement committed nothing), as on DuckDB; any other failure raises.
        """
        assert self.conn is not None, "connect() first"
        objs = self.objects.entity(plan.source, plan.entity)
        started = time.perf_counter()
        snowpipe = self.settings.mode == "snowpipe"
        try:
            if snowpipe:
                if force:
                    raise LoadError("--force reloads through COPY; set warehouse.mode: copy")
                res = wait_for_plan(
                    self.conn, self.objects, objs, plan, timeout=self.settings.snowpipe_timeout
                )
            else:
                res = copy_plan(
                    self.conn, self.objects, objs, plan, force=force, strategy=self.strategy
                )
        except LoadError as exc:
            if on_error != "abort" or snowpipe:
                raise
            res = EntityResult(plan.source, plan.entity, error=str(exc))
        result = entity_summary(res, on_error, time.perf_counter() - started)
        if bar is not None:
            bar.console.print(
                f"{result.name}: {result.files_loaded} file(s), {result.rows_loaded:,} "
                f"row(s) loaded, {result.rows_rejected:,} rejected",
                highlight=False,
            )
        return result

    def status(self, plan: EntityPlan) -> EntityStatus:
        """The shared status, with the landing table's ``count(*)`` where it exists."""
        rows = None
        if self.conn is not None and self._has_table(plan.source, plan.entity):
            rows = landing_count(self.conn.cursor(), self.objects.entity(plan.source, plan.entity))
        return entity_status(plan, rows)

    def dbt_settings(self) -> Mapping[str, Any]:
        """The names profiles.yml's ``prod`` target reads, from the warehouse section.

        dbt-snowflake connects through its profile; the account, dbt user, role,
        warehouse and database it defaults to are this config's (one source of truth
        with the rendered scripts), where the environment does not set them.
        """
        return {"env_defaults": self.settings.dbt_environment()}

    def _has_table(self, source: str, entity: str) -> bool:
        if self._tables is None:
            return False
        table = self.objects.entity(source, entity).table
        return str(table.parts[-1]).upper() in self._tables
