"""The last runs and their stage timings, from what the pipeline leaves behind.

Two sources, the first that has anything wins per run:

- run files, ``<runs dir>/<run_id>.json`` (written by ``glueflake run`` where it
  records its runs): read leniently (``stages`` as a list of objects or a mapping of
  name to seconds);
- otherwise the lake and the load ledger: an extract run starts at its run id's time
  and ends at its last manifest's commit; a load starts at its load id's time and
  ends at its last ledger row; the last dbt invocation's ``run_results.json`` gives
  the transform. A load belongs to the run whose files it loaded, the transform to
  the run it followed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from glueflake.report.model import DbtRun, RunRecord, Stage

_RUN_ID = re.compile(r"^(\d{8}T\d{6})\.(\d{3})Z")
# A partly loaded file is on_error: continue doing its job (its bad rows are in the
# rejects, counted in the stage's line); a file failed or skipped whole fails it.
FAILED_FILE_STATUSES = frozenset({"LOAD_FAILED", "SKIPPED"})


def run_id_time(run_id: str) -> datetime | None:
    """The start time encoded in a run or load id (``20261128T101500.042Z-3fa2c1``)."""
    m = _RUN_ID.match(run_id)
    if not m:
        return None
    at = datetime.strptime(m[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return at + timedelta(milliseconds=int(m[2]))


@dataclass(frozen=True)
class ExtractCommit:
    """One manifest: what one extract run committed for one entity."""

    run_id: str
    entity: str
    records: int
    committed_at: datetime


@dataclass(frozen=True)
class LedgerFile:
    """One ledger row: a file loaded by a load."""

    load_id: str
    run_id: str
    status: str
    rows_loaded: int
    rows_rejected: int
    loaded_at: datetime


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _plural(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


def _extract_stages(commits: Iterable[ExtractCommit]) -> dict[str, Stage]:
    by_run: dict[str, list[ExtractCommit]] = {}
    for c in commits:
        by_run.setdefault(c.run_id, []).append(c)
    stages: dict[str, Stage] = {}
    for run_id, group in by_run.items():
        end = max(_utc(c.committed_at) for c in group)
        start = run_id_time(run_id) or end
        records = sum(c.records for c in group)
        entities = len({c.entity for c in group})
        stages[run_id] = Stage(
            "extract",
            start,
            max(0.0, (end - start).total_seconds()),
            detail=f"{_plural(records, 'record')}, {_plural(entities, 'entity')}",
        )
    return stages


def _load_stages(files: Iterable[LedgerFile]) -> tuple[dict[str, Stage], dict[str, set[str]]]:
    by_load: dict[str, list[LedgerFile]] = {}
    for f in files:
        by_load.setdefault(f.load_id, []).append(f)
    stages: dict[str, Stage] = {}
    runs: dict[str, set[str]] = {}
    for load_id, group in by_load.items():
        end = max(_utc(f.loaded_at) for f in group)
        start = run_id_time(load_id) or end
        failed = sum(1 for f in group if f.status in FAILED_FILE_STATUSES)
        rejected = sum(f.rows_rejected for f in group)
        loaded = sum(f.rows_loaded for f in group)
        detail = f"{_plural(len(group), 'file')}, {_plural(loaded, 'row')}"
        if rejected:
            detail += f", {rejected:,} rejected"
        if failed:
            detail += f", {_plural(failed, 'file')} failed or skipped"
        stages[load_id] = Stage(
            "load", start, max(0.0, (end - start).total_seconds()), ok=not failed, detail=detail
        )
        runs[load_id] = {f.run_id for f in group}
    return stages, runs


def _transform_stage(dbt: DbtRun | None) -> Stage | None:
    if dbt is None or dbt.generated_at is None:
        return None
    end = _utc(dbt.generated_at)
    failed = len(dbt.failed)
    detail = f"dbt {dbt.command}: {len(dbt.nodes):,} nodes"
    if failed:
        detail += f", {failed:,} failed"
    return Stage(
        "transform",
        end - timedelta(seconds=dbt.elapsed),
        dbt.elapsed,
        ok=not failed,
        detail=detail,
    )


def _end(stage: Stage) -> datetime:
    return stage.start + timedelta(seconds=stage.seconds)


def reconstruct_runs(
    commits: Sequence[ExtractCommit],
    ledger: Sequence[LedgerFile],
    dbt: DbtRun | None,
) -> list[RunRecord]:
    """Runs pieced together from manifests, ledger rows and the last dbt results.

    Returns:
        Every run found, oldest first.
    """
    extracts = _extract_stages(commits)
    loads, loaded_runs = _load_stages(ledger)
    records = {
        run_id: RunRecord(run_id, stage.start, [stage]) for run_id, stage in extracts.items()
    }
    # Each load joins the earliest run whose files it loaded (a forced reload of old
    # files loads several runs' files: it stays with the oldest it started after).
    for load_id, stage in sorted(loads.items(), key=lambda kv: kv[1].start):
        owners = sorted(
            r for r in loaded_runs[load_id] if r in records and records[r].started <= stage.start
        )
        free = [r for r in owners if all(s.name != "load" for s in records[r].stages)]
        if free:
            records[free[-1]].stages.append(stage)
        else:
            records[load_id] = RunRecord(load_id, stage.start, [stage])
    transform = _transform_stage(dbt)
    if transform is not None:
        before = [r for r in records.values() if all(_end(s) <= _end(transform) for s in r.stages)]
        owner = max(before, key=lambda r: r.started, default=None)
        if owner is not None and all(s.name != "transform" for s in owner.stages):
            owner.stages.append(transform)
        else:
            records["dbt"] = RunRecord("dbt", transform.start, [transform])
    return sorted(records.values(), key=lambda r: r.started)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return run_id_time(value)


def _stage_ok(item: Mapping[str, Any]) -> bool:
    if "ok" in item:
        return bool(item["ok"])
    status = str(item.get("status") or item.get("outcome") or "ok").lower()
    return status in ("ok", "success", "succeeded", "pass", "passed", "done", "skipped")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _stage_items(raw: Any) -> list[dict[str, Any]]:
    """``stages`` as a list of objects, from a list or a ``name -> seconds|object`` map."""
    if isinstance(raw, Mapping):
        items = []
        for name, value in raw.items():
            item = dict(value) if isinstance(value, Mapping) else {"seconds": value}
            item.setdefault("name", name)
            items.append(item)
        return items
    if isinstance(raw, list):
        return [dict(i) for i in raw if isinstance(i, Mapping)]
    return []


def _totals(data: Mapping[str, Any], stage: str) -> Mapping[str, Any]:
    part = data.get(stage)
    totals = part.get("totals") if isinstance(part, Mapping) else None
    return totals if isinstance(totals, Mapping) else {}


def _run_file_detail(data: Mapping[str, Any], stage: str) -> str:
    """A stage's line from a ``glueflake run`` document's own sections, where present."""
    totals = _totals(data, stage)
    if stage == "extract" and "records" in totals:
        return _plural(int(totals["records"]), "record")
    if stage == "load" and "rows_loaded" in totals:
        text = (
            f"{_plural(int(totals.get('files_loaded', 0)), 'file')}, "
            f"{_plural(int(totals['rows_loaded']), 'row')}"
        )
        rejected = int(totals.get("rows_rejected") or 0)
        return text + (f", {rejected:,} rejected" if rejected else "")
    build = data.get("build")
    if stage == "transform" and isinstance(build, Mapping):
        failed = len(build.get("failed_nodes") or ())
        nodes = len(build.get("nodes") or ())
        return f"dbt build: {_plural(nodes, 'node')}" + (f", {failed:,} failed" if failed else "")
    return ""


def parse_run_file(data: Mapping[str, Any], fallback_id: str) -> RunRecord | None:
    """A run from a run file's JSON; None when it is not a run or holds nothing to draw.

    Stages come from ``stages`` (a list of objects, or name -> seconds or object) or,
    as ``glueflake run`` writes them, from ``seconds`` (name -> seconds, in order). A
    run that failed before any stage finished is one failed stage carrying its error.
    """
    if data.get("kind", "glueflake.run") != "glueflake.run":
        return None
    run_id = str(data.get("run_id") or fallback_id)
    started = (
        _parse_time(data.get("started_at"))
        or _parse_time(data.get("started"))
        or run_id_time(run_id)
    )
    error = str(data.get("error") or "")
    stages: list[Stage] = []
    cursor = started
    for item in _stage_items(data.get("stages") or data.get("seconds")):
        seconds = _number(
            item.get("seconds", item.get("elapsed", item.get("duration_seconds", 0.0)))
        )
        start = _parse_time(item.get("started_at")) or cursor
        if start is None:
            continue
        name = str(item.get("name") or item.get("stage") or "stage")
        detail = item.get("detail") or item.get("error") or item.get("message")
        stages.append(
            Stage(
                name,
                start,
                seconds,
                ok=_stage_ok(item),
                detail=str(detail or _run_file_detail(data, name)),
            )
        )
        cursor = start + timedelta(seconds=seconds)
    if not stages and started is not None and (data.get("ok") is False or error):
        finished = _parse_time(data.get("finished_at")) or started
        seconds = max(0.0, (finished - started).total_seconds())
        stages.append(Stage("run", started, seconds, ok=False, detail=error or "failed"))
    if not stages:
        return None
    if data.get("ok") is False and all(s.ok for s in stages):
        last = stages[-1]
        detail = "; ".join(x for x in (last.detail, error or "failed") if x)
        stages[-1] = Stage(last.name, last.start, last.seconds, False, detail)
    return RunRecord(run_id, started or stages[0].start, stages, origin="run file")


def read_run_files(folder: Path) -> tuple[list[RunRecord], list[str]]:
    """Every readable run file of a folder, and one line per file that was not."""
    runs: list[RunRecord] = []
    problems: list[str] = []
    if not folder.is_dir():
        return runs, problems
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not readable as JSON ({exc})")
            continue
        if isinstance(data, Mapping) and data.get("kind", "glueflake.run") != "glueflake.run":
            continue  # another document kept beside the runs
        run = parse_run_file(data, path.stem) if isinstance(data, Mapping) else None
        if run is None:
            problems.append(f"{path}: no stages in it")
            continue
        runs.append(run)
    return runs, problems


def merge_runs(
    from_files: Sequence[RunRecord], reconstructed: Sequence[RunRecord], *, last: int = 10
) -> list[RunRecord]:
    """Run files win over a reconstruction of the same run; the newest `last`, newest first."""
    by_id = {r.run_id: r for r in reconstructed}
    by_id.update({r.run_id: r for r in from_files})
    return sorted(by_id.values(), key=lambda r: r.started, reverse=True)[:last]
