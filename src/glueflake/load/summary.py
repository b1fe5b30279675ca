"""What a load did, per entity, printable with rich."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from glueflake.load.types import SchemaChange
from glueflake.tables import count, summary_table

if TYPE_CHECKING:
    from glueflake.load.discover import EntityPlan


@dataclass
class EntityLoadResult:
    """One entity's load.

    Attributes:
        source: the source name.
        entity: the entity name.
        on_error: the entity's on_error mode.
        files_loaded: files loaded whole or in part (LOADED, PARTIALLY_LOADED).
        files_skipped: files rejected whole under ``skip_file`` (SKIPPED).
        files_failed: files that loaded no row (LOAD_FAILED) or are missing.
        files_changed: committed files whose content changed; reported, not loaded.
        files_up_to_date: committed files already loaded before this run.
        rows_loaded: rows inserted into the landing table.
        rows_rejected: rows parsed but not loaded.
        seconds: wall time of this entity's load.
        changed_keys: the changed files' keys.
        changed_reasons: how a changed file differs, where known (by key).
        missing_keys: committed files absent from the lake.
        files_via_python: files DuckDB's reader could not take whole (read in Python).
        aborted: ``on_error: abort`` met a bad row; nothing of this entity committed.
        error: the abort's message (file and line), or another failure.
        schema_changes: top-level fields that appeared in or vanished from the
            entity's records with this load (where the warehouse tracks them).
    """

    source: str
    entity: str
    on_error: str = "continue"
    files_loaded: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_changed: int = 0
    files_up_to_date: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    changed_keys: list[str] = field(default_factory=list)
    changed_reasons: dict[str, str] = field(default_factory=dict)
    missing_keys: list[str] = field(default_factory=list)
    files_via_python: int = 0
    aborted: bool = False
    error: str | None = None
    schema_changes: list[SchemaChange] = field(default_factory=list)

    @classmethod
    def from_plan(cls, plan: EntityPlan, on_error: str) -> EntityLoadResult:
        """A result with what the plan already says: changed, missing, up-to-date files."""
        return cls(
            plan.source,
            plan.entity,
            on_error=on_error,
            files_changed=len(plan.changed),
            files_up_to_date=len(plan.loaded),
            files_failed=len(plan.missing),
            changed_keys=[c.file.key for c in plan.changed],
            changed_reasons={c.file.key: c.reason for c in plan.changed if c.reason},
            missing_keys=[m.key for m in plan.missing],
        )

    @property
    def name(self) -> str:
        """``source.entity``."""
        return f"{self.source}.{self.entity}"

    @property
    def files_processed(self) -> int:
        """Files this run wrote a ledger row for."""
        return self.files_loaded + self.files_skipped + self.files_failed - len(self.missing_keys)


@dataclass
class LoadSummary:
    """The whole load: one result per entity, in config order.

    Attributes:
        load_id: this load's id (in the ledger and rejects).
        entities: per-entity results (entities after an abort are not attempted).
        seconds: wall time of the whole load.
    """

    load_id: str
    entities: list[EntityLoadResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def aborted(self) -> bool:
        """Whether an ``on_error: abort`` entity stopped the load."""
        return any(e.aborted for e in self.entities)

    @property
    def nothing_to_load(self) -> bool:
        """Whether no file needed loading (everything committed was already loaded)."""
        return not self.aborted and all(e.files_processed == 0 for e in self.entities)

    @property
    def rows_loaded(self) -> int:
        """Rows loaded over all entities."""
        return sum(e.rows_loaded for e in self.entities)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected over all entities."""
        return sum(e.rows_rejected for e in self.entities)

    @property
    def files_loaded(self) -> int:
        """Files loaded (whole or in part) over all entities."""
        return sum(e.files_loaded for e in self.entities)

    def __rich__(self) -> RenderableType:
        """A table per entity (fits 80 columns), then notes: nothing to load, changes, abort."""
        table = summary_table(
            f"load {self.load_id}",
            "entity",
            (
                "loaded",
                "skipped",
                "failed",
                "changed",
                "up to\ndate",
                "rows\nloaded",
                "rows\nrejected",
                "sec",
            ),
        )
        for e in self.entities:
            table.add_row(
                e.name,
                count(e.files_loaded),
                count(e.files_skipped),
                count(e.files_failed),
                Text(count(e.files_changed), style="yellow" if e.files_changed else ""),
                count(e.files_up_to_date),
                count(e.rows_loaded),
                Text(count(e.rows_rejected), style="red" if e.rows_rejected else ""),
                f"{e.seconds:.2f}",
            )
        notes: list[RenderableType] = [table]
        problems = self.problems()
        if self.nothing_to_load and not problems:
            notes.append(Text("nothing to load: every committed file is already loaded"))
        notes.extend(problems)
        return Group(*notes)

    def problems(self) -> list[Text]:
        """One line per changed or missing file, per abort (file and line), per schema change."""
        notes: list[Text] = []
        for e in self.entities:
            for key in e.changed_keys:
                why = e.changed_reasons.get(key, "differs from when it was committed or loaded")
                notes.append(
                    Text(
                        f"CHANGED {e.name}: {key} {why}; not loaded (use --force)",
                        style="yellow",
                    )
                )
            for key in e.missing_keys:
                notes.append(
                    Text(f"MISSING {e.name}: {key} is committed but not in the lake", style="red")
                )
            if e.error:
                notes.append(Text(f"ABORTED {e.name}: {e.error}", style="bold red"))
            notes.extend(
                Text(f"SCHEMA {change.describe(e.name)}", style="yellow")
                for change in e.schema_changes
            )
        return notes
