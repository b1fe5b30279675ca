"""What `glueflake status` reports, per entity, on every warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from glueflake.load.discover import EntityPlan
from glueflake.load.types import SchemaChange


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
        in_flight_keys: the keys of the uncommitted files younger than the grace.
        schema_changes: the latest fields that appeared in or vanished from the
            records at load (where the warehouse tracks them), oldest first.
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
    in_flight_keys: list[str] = field(default_factory=list)
    schema_changes: list[SchemaChange] = field(default_factory=list)

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
            # Shown at once, not only after the grace: an extract still writing, or one
            # that died a moment ago (an orphan once the grace has passed).
            for key in e.in_flight_keys:
                parts.append(
                    Text(
                        f"uncommitted (young) {e.name}: {key} (no manifest yet: an extract "
                        "still writing, or an orphan once the grace has passed)",
                        "cyan",
                    )
                )
            parts.extend(Text(c.describe(e.name), "yellow") for c in e.schema_changes)
        return Group(*parts)


def entity_status(plan: EntityPlan, landing_rows: int | None) -> EntityStatus:
    """One entity's status from its plan (lake side and ledger) and its landing table.

    Args:
        plan: the entity's plan; its ledger is what the warehouse recorded.
        landing_rows: ``count(*)`` of the landing table (None if it does not exist).

    Returns:
        The status, the same on every warehouse.
    """
    committed = {f.key for f in plan.committed}
    counted = [e for k, e in plan.ledger.items() if k in committed]
    return EntityStatus(
        source=plan.source,
        entity=plan.entity,
        lake_files=len(plan.committed),
        lake_records=sum(f.records for f in plan.committed),
        loaded_files=len(counted),
        loaded_rows=sum(e.rows_loaded for e in counted),
        rejected_rows=sum(e.rows_rejected for e in counted),
        landing_rows=landing_rows,
        pending_files=len(plan.pending),
        orphaned_files=len(plan.orphans),
        in_flight_files=len(plan.in_flight),
        changed_files=len(plan.changed),
        missing_files=len(plan.missing),
        last_loaded_at=max(
            (e.loaded_at for e in plan.ledger.values() if e.loaded_at), default=None
        ),
        orphan_keys=[o.key for o in plan.orphans],
        in_flight_keys=[o.key for o in plan.in_flight],
    )


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "never"
