"""`glueflake status` on DuckDB: the lake's commits against the ledger, per entity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from glueflake.config import PipelineConfig
from glueflake.lake import ObjectStore, open_lake
from glueflake.load.discover import DEFAULT_ORPHAN_GRACE, LedgerEntry, plan_entity
from glueflake.load.ledger import ledger_exists, read_ledger
from glueflake.load.warehouse import connect, landing_table, warehouse_path


@dataclass
class EntityStatus:
    """One entity: what the lake has committed and what the warehouse has loaded.

    Attributes:
        source: the source name.
        entity: the entity name.
        lake_files: committed data files.
        lake_records: records their manifests count.
        loaded_files: files in the ledger (any status).
        loaded_rows: rows the ledger says were loaded.
        rejected_rows: rows the ledger says were rejected.
        landing_rows: ``count(*)`` of the landing table (None if it does not exist).
        pending_files: committed files waiting to load.
        orphaned_files: uncommitted data files older than the grace period.
        in_flight_files: uncommitted data files younger than it.
        changed_files: committed files whose content changed (not reloaded).
        missing_files: committed files absent from the lake.
        last_loaded_at: the latest load time in the ledger.
        orphan_keys: the orphans' keys.
    """

    source: str
    entity: str
    lake_files: int = 0
    lake_records: int = 0
    loaded_files: int = 0
    loaded_rows: int = 0
    rejected_rows: int = 0
    landing_rows: int | None = None
    pending_files: int = 0
    orphaned_files: int = 0
    in_flight_files: int = 0
    changed_files: int = 0
    missing_files: int = 0
    last_loaded_at: datetime | None = None
    orphan_keys: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``source.entity``."""
        return f"{self.source}.{self.entity}"


@dataclass
class StatusReport:
    """Every selected entity's status, and where the lake and warehouse are."""

    lake_url: str
    warehouse: str
    entities: list[EntityStatus] = field(default_factory=list)
    warehouse_exists: bool = True

    def entity(self, name: str) -> EntityStatus:
        """The status of ``source.entity`` (KeyError if not in the report)."""
        for e in self.entities:
            if e.name == name:
                return e
        raise KeyError(name)

    def __rich__(self) -> RenderableType:
        """One row per entity (fits 80 columns); rarer counts, load times and orphans below."""
        table = Table(
            title=f"lake {self.lake_url} -> warehouse {self.warehouse}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            padding=(0, 0),
        )
        table.add_column("entity", no_wrap=True)
        for column in (
            "lake\nfiles",
            "lake\nrecords",
            "loaded\nfiles",
            "loaded\nrows",
            "rejected",
            "landing\nrows",
            "pending",
        ):
            table.add_column(column, justify="right", no_wrap=True)
        for e in self.entities:
            table.add_row(
                e.name,
                f"{e.lake_files:,}",
                f"{e.lake_records:,}",
                f"{e.loaded_files:,}",
                f"{e.loaded_rows:,}",
                Text(f"{e.rejected_rows:,}", style="red" if e.rejected_rows else ""),
                "-" if e.landing_rows is None else f"{e.landing_rows:,}",
                Text(f"{e.pending_files:,}", style="cyan" if e.pending_files else ""),
            )
        parts: list[RenderableType] = [table]
        if not self.warehouse_exists:
            parts.append(Text("the warehouse does not exist yet: every committed file is pending"))
        loads = {_when(e.last_loaded_at) for e in self.entities}
        if len(loads) == 1:
            parts.append(Text(f"last load (UTC): {loads.pop()}"))
        else:
            parts.extend(
                Text(f"last load (UTC) {e.name}: {_when(e.last_loaded_at)}") for e in self.entities
            )
        for e in self.entities:
            for count, what in (
                (e.orphaned_files, "orphaned"),
                (e.changed_files, "changed (not reloaded)"),
                (e.missing_files, "missing from the lake"),
            ):
                if count:
                    parts.append(Text(f"{e.name}: {count:,} file(s) {what}", "yellow"))
            for key in e.orphan_keys:
                parts.append(Text(f"orphan {e.name}: {key} (no committed manifest)", "yellow"))
        return Group(*parts)


def duckdb_status(
    cfg: PipelineConfig,
    *,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    only: list[str] | None = None,
    store: ObjectStore | None = None,
    now: datetime | None = None,
) -> StatusReport:
    """The status of the selected entities, reading the warehouse read-only.

    Works before the warehouse exists (everything committed is pending).

    Args:
        cfg: the pipeline config.
        orphan_grace: uncommitted files older than this count as orphans.
        only: ``source`` or ``source.entity`` names; None for all.
        store: the lake (default: the configured one).
        now: the time to judge orphans' age by (default: now).

    Returns:
        The report.
    """
    store = store or open_lake(cfg)
    now = now or datetime.now(UTC)
    path = warehouse_path(cfg)
    report = StatusReport(store.url, str(path), warehouse_exists=path.exists())
    con = connect(path, read_only=True) if report.warehouse_exists else None
    try:
        has_ledger = con is not None and ledger_exists(con)
        for source, entity in cfg.select(only):
            ledger: dict[str, LedgerEntry] = {}
            if con is not None and has_ledger:
                ledger = read_ledger(con, f"{source}__{entity}")
            plan = plan_entity(store, source, entity, ledger, now=now, orphan_grace=orphan_grace)
            committed = {f.key for f in plan.committed}
            counted = [e for k, e in ledger.items() if k in committed]
            report.entities.append(
                EntityStatus(
                    source=source,
                    entity=entity,
                    lake_files=len(plan.committed),
                    lake_records=sum(f.records for f in plan.committed),
                    loaded_files=len(counted),
                    loaded_rows=sum(e.rows_loaded for e in counted),
                    rejected_rows=sum(e.rows_rejected for e in counted),
                    landing_rows=_count(con, landing_table(cfg, source, entity)),
                    pending_files=len(plan.pending),
                    orphaned_files=len(plan.orphans),
                    in_flight_files=len(plan.in_flight),
                    changed_files=len(plan.changed),
                    missing_files=len(plan.missing),
                    last_loaded_at=max(
                        (e.loaded_at for e in ledger.values() if e.loaded_at), default=None
                    ),
                    orphan_keys=[o.key for o in plan.orphans],
                )
            )
    finally:
        if con is not None:
            con.close()
    return report


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "never"


def _count(con: duckdb.DuckDBPyConnection | None, fqn: str) -> int | None:
    if con is None:
        return None
    try:
        row = con.execute(f"select count(*) from {fqn}").fetchone()
    except duckdb.CatalogException:
        return None
    return int(row[0]) if row else None
