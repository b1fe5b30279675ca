"""The loader: committed lake files into warehouse landing tables, each exactly once.

Public API: `run_load`, `watch_lake`, `lake_status`, and the result types they return.
"""

from glueflake.load.run import lake_status, run_load
from glueflake.load.status import EntityStatus, StatusReport
from glueflake.load.summary import EntityLoadResult, LoadSummary
from glueflake.load.typing import FileOutcome, FileStatus, RejectRow
from glueflake.load.watch import WatchResult, watch_lake

__all__ = [
    "EntityLoadResult",
    "EntityStatus",
    "FileOutcome",
    "FileStatus",
    "LoadSummary",
    "RejectRow",
    "StatusReport",
    "WatchResult",
    "lake_status",
    "run_load",
    "watch_lake",
]
