"""Which dbt nodes a run must rebuild: those downstream of the landing tables that changed.

After every successful whole-pipeline build, glueflake records each landing table's
row count (``count(*)``, from ``lake_status``) in a small JSON file next to dbt's
artifacts. The next run rebuilds ``source:landing.<table>+`` for every table that
got rows in this run's load, or whose row count differs from the recorded one (rows
a separate ``glueflake load`` brought, or a build that failed after they landed).
No such table: dbt is not invoked at all. No record, or a record of another
warehouse or target: everything is built, as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glueflake.load import LoadSummary, StatusReport

STATE_FILE = "glueflake_build_state.json"
_VERSION = 1


@dataclass(frozen=True)
class BuildState:
    """What the last successful whole-pipeline build saw.

    Attributes:
        warehouse: Where the warehouse is (``StatusReport.warehouse``).
        target: The dbt profile target built.
        landing_rows: Rows per landing table (``source__entity``) at that build.
    """

    warehouse: str
    target: str
    landing_rows: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, target_path: Path) -> BuildState | None:
        """The state kept under dbt's ``target_path``; None if absent or unreadable."""
        try:
            raw = json.loads((target_path / STATE_FILE).read_text(encoding="utf-8"))
            if raw.get("version") != _VERSION:
                return None
            rows = raw["landing_rows"]
            return cls(
                warehouse=str(raw["warehouse"]),
                target=str(raw["target"]),
                landing_rows={str(k): int(v) for k, v in rows.items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, target_path: Path) -> None:
        """Keep the state under ``target_path`` (written whole, then renamed into place)."""
        target_path.mkdir(parents=True, exist_ok=True)
        body = {
            "version": _VERSION,
            "warehouse": self.warehouse,
            "target": self.target,
            "landing_rows": dict(sorted(self.landing_rows.items())),
        }
        tmp = target_path / f".{STATE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target_path / STATE_FILE)

    @classmethod
    def of(cls, status: StatusReport, target: str) -> BuildState | None:
        """The state to record after a successful build; None if a landing count is unknown."""
        rows = landing_rows(status)
        if rows is None:
            return None
        return cls(warehouse=status.warehouse, target=target, landing_rows=rows)


def landing_rows(status: StatusReport) -> dict[str, int] | None:
    """Rows per landing table (``source__entity``); None if any table's count is unknown."""
    rows: dict[str, int] = {}
    for entity in status.entities:
        if entity.landing_rows is None:
            return None
        rows[f"{entity.source}__{entity.entity}"] = entity.landing_rows
    return rows


def changed_tables(
    load: LoadSummary,
    status: StatusReport | None,
    state: BuildState | None,
    *,
    target: str,
) -> list[str] | None:
    """Landing tables (``source__entity``) whose dependants must be rebuilt.

    Args:
        load: This run's load: every table that got rows changed.
        status: The landing tables' row counts after the load.
        state: What the last successful whole build saw.
        target: The dbt target about to be built.

    Returns:
        The changed tables, sorted (empty: nothing to build); None when it cannot
        be told (no state, another warehouse or target, a count unknown): build all.
    """
    if state is None or status is None or state.target != target:
        return None
    if state.warehouse != status.warehouse:
        return None
    now = landing_rows(status)
    if now is None:
        return None
    changed = {f"{e.source}__{e.entity}" for e in load.entities if e.rows_loaded > 0}
    changed |= {table for table, rows in now.items() if state.landing_rows.get(table) != rows}
    return sorted(changed)


def selection(tables: list[str], source_name: str = "landing") -> list[str]:
    """Dbt selectors for everything downstream of ``tables``: ``source:landing.<t>+``."""
    return [f"source:{source_name}.{table}+" for table in tables]
