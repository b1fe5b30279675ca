"""The loader: committed lake files into warehouse landing tables, each exactly once.

Public API: `run_load`, `watch_lake`, `lake_status`, the result types they return,
the `Warehouse` interface every backend follows, and `register_warehouse` /
`open_warehouse`, the registry from ``warehouse.type`` to the backend.
"""

from glueflake.load.discover import CommittedFile, EntityPlan, LedgerEntry
from glueflake.load.registry import open_warehouse, register_warehouse
from glueflake.load.run import lake_status, run_load
from glueflake.load.status import EntityStatus, StatusReport, entity_status
from glueflake.load.summary import EntityLoadResult, LoadSummary
from glueflake.load.types import FileOutcome, FileStatus, RejectRow
from glueflake.load.warehouse import Warehouse
from glueflake.load.watch import WatchResult, watch_lake

__all__ = [
    "CommittedFile",
    "EntityLoadResult",
    "EntityPlan",
    "EntityStatus",
    "FileOutcome",
    "FileStatus",
    "LedgerEntry",
    "LoadSummary",
    "RejectRow",
    "StatusReport",
    "Warehouse",
    "WatchResult",
    "entity_status",
    "lake_status",
    "open_warehouse",
    "register_warehouse",
    "run_load",
    "watch_lake",
]
