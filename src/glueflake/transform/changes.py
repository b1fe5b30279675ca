"""Which dbt nodes a run must rebuild: those downstream of the landing tables that changed.

After every successful whole-pipeline build, glueflake records, per landing table,
its row count and the warehouse's own record of loading it: how many lake files its
load history holds and when the latest was loaded (all from ``lake_status``, which
reads them from the warehouse). The record is a small JSON file next to dbt's
artifacts; what ties it to one warehouse is that load history, which lives in the
warehouse itself.

The next run rebuilds ``source:landing.<table>+`` for every table that got rows in
this run's load, or whose row count or load history moved on since the record (rows
a separate ``glueflake load`` brought, or a build that failed after they landed).
No such table: dbt is not invoked at all. Everything is built, as before, when there
is no record, a record of another warehouse or target, a count that is unknown, or a
load history that no longer holds what the record saw: the warehouse was replaced
(deleted and reloaded: the same rows, a new history) or files were reloaded, so
nothing dbt built there can be assumed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from glueflake.load import LoadSummary, StatusReport

STATE_FILE = "glueflake_build_state.json"
_VERSION = 2


@dataclass(frozen=True)
class LoadHistory:
    """What a warehouse's load history holds of one landing table.

    Attributes:
        files: Lake files the history records (any status).
        last_loaded_at: When the latest was loaded (ISO 8601), None if never.
    """

    files: int
    last_loaded_at: str | None


@dataclass(frozen=True)
class BuildState:
    """What the last successful whole-pipeline build saw.

    Attributes:
        warehouse: Where the warehouse is (``StatusReport.warehouse``).
        target: The dbt profile target built.
        landing_rows: Rows per landing table (``source__entity``) at that build.
        history: The warehouse's load history per landing table at that build.
    """

    warehouse: str
    target: str
    landing_rows: dict[str, int] = field(default_factory=dict)
    history: dict[str, LoadHistory] = field(default_factory=dict)

    @classmethod
    def read(cls, target_path: Path) -> BuildState | None:
        """The state kept under dbt's ``target_path``; None if absent, unreadable or older."""
        try:
            raw = json.loads((target_path / STATE_FILE).read_text(encoding="utf-8"))
            if raw.get("version") != _VERSION:
                return None
            return cls(
                warehouse=str(raw["warehouse"]),
                target=str(raw["target"]),
                landing_rows={str(k): int(v) for k, v in raw["landing_rows"].items()},
                history={
                    str(k): LoadHistory(int(v["files"]), _text(v["last_loaded_at"]))
                    for k, v in raw["history"].items()
                },
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
            "history": {
                table: {"files": h.files, "last_loaded_at": h.last_loaded_at}
                for table, h in sorted(self.history.items())
            },
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
        return cls(
            warehouse=status.warehouse,
            target=target,
            landing_rows=rows,
            history=load_history(status),
        )


def landing_rows(status: StatusReport) -> dict[str, int] | None:
    """Rows per landing table (``source__entity``); None if any table's count is unknown."""
    rows: dict[str, int] = {}
    for entity in status.entities:
        if entity.landing_rows is None:
            return None
        rows[f"{entity.source}__{entity.entity}"] = entity.landing_rows
    return rows


def load_history(status: StatusReport) -> dict[str, LoadHistory]:
    """The warehouse's load history per landing table (``source__entity``)."""
    return {
        f"{e.source}__{e.entity}": LoadHistory(e.loaded_files, _iso(e.last_loaded_at))
        for e in status.entities
    }


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
        status: The landing tables' row counts and load history after the load.
        state: What the last successful whole build saw.
        target: The dbt target about to be built.

    Returns:
        The changed tables, sorted (empty: nothing to build); None when it cannot
        be told (no state, another warehouse or target, a count unknown, a load
        history that does not hold what the state saw): build all.
    """
    if state is None or status is None or state.target != target:
        return None
    if state.warehouse != status.warehouse:
        return None
    now = landing_rows(status)
    if now is None:
        return None
    this_run = {f"{e.source}__{e.entity}": e for e in load.entities}
    history = load_history(status)
    changed: set[str] = set()
    for table, seen in state.history.items():
        current = history.get(table)
        if current is None:
            continue  # no longer selected or configured: nothing of it to build
        loaded = this_run.get(table)
        new_files = (loaded.files_loaded + loaded.files_skipped) if loaded else 0
        if current.files - new_files < seen.files:
            return None  # the history lost files: another warehouse under the same name
        if new_files == 0 and current != seen:
            if current.files == seen.files:
                return None  # the same files loaded again (a reload, --force)
            changed.add(table)  # a separate `glueflake load` brought files
    changed |= {e for e, r in this_run.items() if r.rows_loaded > 0}
    changed |= {table for table, rows in now.items() if state.landing_rows.get(table) != rows}
    return sorted(changed)


UNIT_TESTS = "resource_type:unit_test"
"""dbt's selector of the unit tests, which a build of what changed leaves out.

A unit test checks a model's SQL against fixed fixture rows, never the landed data,
so new rows cannot change its outcome; dbt advises running them in development and
CI rather than on every production build. Whole builds (the first, ``--all``,
``glueflake transform``) still run them. At 20,000 orders the order models' two unit
tests took 0.66 s of the build's 3.3 s of node time.
"""


def selection(tables: list[str], source_name: str = "landing") -> list[str]:
    """Dbt selectors for everything downstream of ``tables``: ``source:landing.<t>+``."""
    return [f"source:{source_name}.{table}+" for table in tables]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
