"""The Snowflake loader: committed lake files into Snowflake landing tables, once each.

Mode ``copy`` runs, per entity, the same COPY INTO its pipe would run, restricted by
``FILES = (...)`` to the plan's pending files (uncommitted files are never named, so
never loaded). Snowflake's load metadata makes a file that was already loaded a
no-op, which keeps loading exactly-once; the COPY result rows (file, status, rows
parsed and loaded, errors, first error and line) become the summary.

Mode ``snowpipe`` runs no COPY: the pipes load files as S3 events arrive. The loader
polls ``COPY_HISTORY`` (and ``SYSTEM$PIPE_STATUS`` for a paused or failing pipe) until
every pending file of the selected entities shows a final status, or fails after
``warehouse.snowpipe_timeout`` naming the files still missing.

Which files are pending, changed or missing is the shared plan's
(`glueflake.load.discover`): a committed file whose content is no longer its
manifest's (a new etag, then a different content hash) is reported as changed and
not loaded, unless ``force``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from glueflake.errors import LoadError
from glueflake.lake import ObjectStore
from glueflake.load.discover import CommittedFile, EntityPlan, plan_entity
from glueflake.load.snowflake.history import (
    copy_history,
    in_progress,
    match_key,
    outcome,
    result_rows,
)
from glueflake.load.snowflake.sql import EntityObjects, SnowflakeObjects, copy_statement, lake_key
from glueflake.load.summary import EntityLoadResult
from glueflake.load.types import FileOutcome, FileStatus

#: Snowflake accepts at most 1,000 names in one FILES = (...) list.
FILES_PER_COPY = 1000
#: Snowpipe's wait covers files committed since this long ago (COPY_HISTORY's reach).
PIPE_HORIZON = timedelta(days=14) - timedelta(hours=1)


@dataclass
class EntityResult:
    """What the Snowflake loader did for one entity."""

    source: str
    entity: str
    files: list[FileOutcome] = field(default_factory=list)
    already_loaded: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def from_plan(cls, plan: EntityPlan) -> EntityResult:
        """A result with the plan's changed and missing files."""
        return cls(
            plan.source,
            plan.entity,
            changed=[c.file.key for c in plan.changed],
            missing=[m.key for m in plan.missing],
        )

    @property
    def rows_loaded(self) -> int:
        """Rows inserted by this run."""
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows parsed but not loaded by this run."""
        return sum(f.rows_rejected for f in self.files)


class CopyStrategy(Protocol):
    """How committed files get COPY'd into a landing table, and where that is recorded."""

    def copy(
        self,
        cursor: Any,
        objects: SnowflakeObjects,
        entity: EntityObjects,
        files: Sequence[CommittedFile],
        *,
        force: bool,
    ) -> list[dict[str, Any]]:
        """Load `files`, returning Snowflake's COPY result rows (lower-case keys)."""
        ...

    def load_history(
        self, cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, since: datetime
    ) -> list[dict[str, Any]]:
        """The entity's per-file load records since `since`, one row per load.

        Rows have `HISTORY_COLUMNS` as lower-case keys; ``file_name`` may be the lake
        key, a stage-relative path or a URL ending in the key.
        """
        ...


class JsonCopy:
    """Production: the pipe's COPY INTO (JSON file format, METADATA$ columns, ON_ERROR).

    With ``force``, the rows of the named files are deleted first and the COPY runs
    with ``FORCE = TRUE``, in one transaction: a reload replaces, never duplicates.
    """

    def copy(
        self,
        cursor: Any,
        objects: SnowflakeObjects,
        entity: EntityObjects,
        files: Sequence[CommittedFile],
        *,
        force: bool,
    ) -> list[dict[str, Any]]:
        """Run one COPY INTO per batch of at most 1,000 files."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(files), FILES_PER_COPY):
            batch = files[start : start + FILES_PER_COPY]
            relative = [f.key.removeprefix(entity.stage_path) for f in batch]
            if force:
                keys = ", ".join(str(lake_key(f.key)) for f in batch)
                cursor.execute(f"delete from {entity.table} where _file_name in ({keys})")
            cursor.execute(copy_statement(objects, entity, relative, force=force))
            rows.extend(result_rows(cursor))
        return rows

    def load_history(
        self, cursor: Any, objects: SnowflakeObjects, entity: EntityObjects, since: datetime
    ) -> list[dict[str, Any]]:
        """COPY_HISTORY of the landing table: bulk COPY and Snowpipe loads alike."""
        return copy_history(cursor, objects, entity, since)


def copy_entity(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    store: ObjectStore,
    *,
    force: bool = False,
    strategy: CopyStrategy | None = None,
) -> EntityResult:
    """Mode copy for one entity: plan it from the lake, then `copy_plan`."""
    plan = plan_entity(store, entity.source, entity.entity, force=force)
    return copy_plan(conn, objects, entity, plan, force=force, strategy=strategy)


def copy_plan(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    plan: EntityPlan,
    *,
    force: bool = False,
    strategy: CopyStrategy | None = None,
) -> EntityResult:
    """Mode copy for one entity: COPY the plan's pending files, in one transaction.

    Raises:
        LoadError: the COPY failed (ON_ERROR = ABORT_STATEMENT stops at the first bad
            row; the message names the entity and Snowflake's error, with file and line).
    """
    result = EntityResult.from_plan(plan)
    files = [p.file for p in plan.pending]
    if not files:
        return result
    strategy = strategy or JsonCopy()
    # One transaction per entity: a --force delete and its COPY commit together.
    conn.autocommit(False)
    cursor = conn.cursor()
    try:
        rows = strategy.copy(cursor, objects, entity, files, force=force)
        conn.commit()
    except LoadError:
        conn.rollback()
        raise
    except Exception as exc:
        conn.rollback()
        message = str(exc).strip().splitlines()
        raise LoadError(
            f"{entity.source}.{entity.entity}: COPY INTO {entity.table} failed, nothing "
            f"from it was committed: {' '.join(message)[:500]}"
        ) from None
    finally:
        conn.autocommit(True)
    keys = [f.key for f in files]
    reported: set[str] = set()
    for row in rows:
        key = match_key(row.get("file"), keys)
        if key is None:
            continue  # "Copy executed with 0 files processed." and the like
        done = outcome(key, row)
        if done.status is FileStatus.SKIPPED:
            result.already_loaded.append(key)
        else:
            result.files.append(done)
        reported.add(key)
    # Snowflake leaves files its load metadata already holds out of the result.
    result.already_loaded.extend(k for k in keys if k not in reported)
    return result


def wait_for_pipe(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    store: ObjectStore,
    *,
    timeout: float,
    poll: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> EntityResult:
    """Mode snowpipe for one entity: plan it from the lake, then `wait_for_plan`."""
    plan = plan_entity(store, entity.source, entity.entity)
    return wait_for_plan(
        conn, objects, entity, plan, timeout=timeout, poll=poll, clock=clock, sleep=sleep
    )


def wait_for_plan(
    conn: Any,
    objects: SnowflakeObjects,
    entity: EntityObjects,
    plan: EntityPlan,
    *,
    timeout: float,
    poll: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> EntityResult:
    """Mode snowpipe for one entity: wait until its pipe has loaded every pending file.

    Only files committed in the last 14 days are awaited: COPY_HISTORY keeps no more.

    Raises:
        LoadError: the timeout passed (names the files still missing), or the pipe is
            not running.
    """
    result = EntityResult.from_plan(plan)
    now = datetime.now(UTC)
    horizon = now - PIPE_HORIZON
    recent = [p.file for p in plan.pending if (p.file.committed_at or now) >= horizon]
    oldest = min((f.committed_at or now for f in recent), default=now)
    pending = {f.key for f in recent}
    deadline = clock() + timeout
    start = oldest - timedelta(hours=1)
    cursor = conn.cursor()
    while pending:
        for row in copy_history(cursor, objects, entity, start):
            key = match_key(row.get("file_name"), pending)
            if key is None or in_progress(row):
                continue
            result.files.append(outcome(key, row))
            pending.discard(key)
        if not pending:
            break
        state = _pipe_state(cursor, entity)
        if state not in ("RUNNING", ""):
            raise LoadError(f"{entity.pipe}: pipe is {state}; files waiting: {_few(pending)}")
        if clock() >= deadline:
            raise LoadError(
                f"{entity.source}.{entity.entity}: after {timeout:.0f}s the pipe {entity.pipe} "
                f"has not loaded {len(pending)} committed file(s): {_few(pending)}"
            )
        sleep(min(poll, max(deadline - clock(), 0.0)))
    return result


def _pipe_state(cursor: Any, entity: EntityObjects) -> str:
    cursor.execute(f"select system$pipe_status('{entity.pipe}')")
    row = cursor.fetchone()
    try:
        status = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return ""
    return str(status.get("executionState", "")).upper()


def _few(keys: Iterable[str], limit: int = 5) -> str:
    items = sorted(keys)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def landing_counts(
    conn: Any,
    objects: SnowflakeObjects,
    pairs: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], int]:
    """Rows in each landing table."""
    cursor = conn.cursor()
    counts = {}
    for source, entity in pairs:
        cursor.execute(f"select count(*) from {objects.entity(source, entity).table}")
        row = cursor.fetchone()
        counts[(source, entity)] = int(row[0]) if row else 0
    return counts


def entity_summary(res: EntityResult, on_error: str, seconds: float = 0.0) -> EntityLoadResult:
    """One entity's Snowflake result in the loader's common summary shape."""
    loaded = [f for f in res.files if f.status in (FileStatus.LOADED, FileStatus.PARTIALLY_LOADED)]
    failed = [f for f in res.files if f.status is FileStatus.LOAD_FAILED]
    # Under SKIP_FILE Snowflake reports a rejected file as LOAD_FAILED: that is a skip.
    skipped = failed if on_error == "skip_file" else []
    return EntityLoadResult(
        source=res.source,
        entity=res.entity,
        on_error=on_error,
        files_loaded=len(loaded),
        files_skipped=len(skipped),
        files_failed=len(failed) - len(skipped) + len(res.missing),
        files_changed=len(res.changed),
        files_up_to_date=len(res.already_loaded),
        rows_loaded=res.rows_loaded,
        rows_rejected=res.rows_rejected,
        seconds=seconds,
        changed_keys=list(res.changed),
        missing_keys=list(res.missing),
        aborted=res.error is not None,
        error=res.error,
    )
