"""Where things live in the lake: one place that builds and parses every key.

```
raw/<source>/<entity>/ingest_date=YYYY-MM-DD/<run_id>-<seq>.ndjson.gz   data (immutable)
raw/<source>/<entity>/_manifests/<run_id>-<seq>.json                     commit markers
_state/bookmarks/<source>/<entity>.json                                  bookmarks
_state/leases/<source>/<entity>.json  _state/leases/_run.json            leases (locks)
_rejects/<source>/<entity>/<run_id>.ndjson                               records rejected at extract
```
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

DATA_SUFFIX = ".ndjson.gz"
_DATA_KEY = re.compile(
    r"^raw/(?P<source>[^/]+)/(?P<entity>[^/]+)/ingest_date=(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<run_id>[^/]+)-(?P<seq>\d{5,})\.ndjson\.gz$"
)


def new_run_id(now: datetime | None = None) -> str:
    """A unique, time-sortable run id such as ``20261128T101500.042Z-3fa2c1``.

    Milliseconds, so two runs within one second still sort in the order they
    started: file names break ties between versions of a record (dbt's raw dedup)
    and pick the latest manifest.
    """
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def entity_prefix(source: str, entity: str) -> str:
    """Prefix of every object of one entity."""
    return f"raw/{source}/{entity}/"


def data_key(source: str, entity: str, ingest_date: date, run_id: str, seq: int) -> str:
    """Key of a data file."""
    return (
        f"{entity_prefix(source, entity)}ingest_date={ingest_date.isoformat()}/"
        f"{run_id}-{seq:05d}{DATA_SUFFIX}"
    )


def manifests_prefix(source: str, entity: str) -> str:
    """Prefix of one entity's manifests."""
    return f"{entity_prefix(source, entity)}_manifests/"


def manifest_key(source: str, entity: str, run_id: str, seq: int) -> str:
    """Key of a manifest (the commit point of the files it lists)."""
    return f"{manifests_prefix(source, entity)}{run_id}-{seq:05d}.json"


def bookmark_key(source: str, entity: str) -> str:
    """Key of an entity's bookmark."""
    return f"_state/bookmarks/{source}/{entity}.json"


def lease_key(source: str | None = None, entity: str | None = None) -> str:
    """Key of an entity's extract lease, or (no names) the lease of a whole run."""
    if source is None or entity is None:
        return "_state/leases/_run.json"
    return f"_state/leases/{source}/{entity}.json"


def rejects_key(source: str, entity: str, run_id: str) -> str:
    """Key of the records one extract run rejected for an entity (with their reasons)."""
    return f"_rejects/{source}/{entity}/{run_id}.ndjson"


@dataclass(frozen=True)
class DataKey:
    """The parts of a data file's key."""

    source: str
    entity: str
    ingest_date: date
    run_id: str
    seq: int


def parse_data_key(key: str) -> DataKey | None:
    """Split a data file's key into its parts (None if it is not one)."""
    m = _DATA_KEY.match(key)
    if not m:
        return None
    return DataKey(
        source=m["source"],
        entity=m["entity"],
        ingest_date=date.fromisoformat(m["date"]),
        run_id=m["run_id"],
        seq=int(m["seq"]),
    )
