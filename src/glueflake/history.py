"""Machine-readable results: the ``--json`` documents and the run history.

`--json` on `run`, `extract`, `load` and `status` prints one JSON document (see
docs/json-output.md for its keys); `glueflake run` also writes its document to
``.glueflake/runs/<run_id>.json`` next to the config, and `glueflake runs` lists
them. Every document has ``kind`` (``glueflake.run``, ``glueflake.extract``...)
and ``version`` (1); the rest are the fields of the stage's summary, so a key is
never renamed without the version changing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from glueflake.config import PipelineConfig
from glueflake.errors import PipelineError

if TYPE_CHECKING:
    from glueflake.extract import ExtractSummary
    from glueflake.load import LoadSummary, StatusReport
    from glueflake.pipeline import RunResult
    from glueflake.transform import BuildSummary

VERSION = 1
RUNS_DIR = Path(".glueflake") / "runs"
T = TypeVar("T")


def jsonable(value: Any) -> Any:
    """`value` as JSON data: dataclasses by field, datetimes as ISO-8601, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            ".".join(map(str, k)) if isinstance(k, tuple) else str(k): jsonable(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path | Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def extract_doc(summary: ExtractSummary) -> dict[str, Any]:
    """The ``glueflake extract --json`` document."""
    return {
        "kind": "glueflake.extract",
        "version": VERSION,
        **jsonable(summary),
        "totals": {
            "records": summary.records,
            "pages": summary.pages,
            "files": summary.files,
            "bytes": summary.bytes,
        },
    }


def load_doc(summary: LoadSummary) -> dict[str, Any]:
    """The ``glueflake load --json`` document."""
    return {
        "kind": "glueflake.load",
        "version": VERSION,
        **jsonable(summary),
        "aborted": summary.aborted,
        "totals": {
            "files_loaded": summary.files_loaded,
            "rows_loaded": summary.rows_loaded,
            "rows_rejected": summary.rows_rejected,
        },
    }


def status_doc(report: StatusReport) -> dict[str, Any]:
    """The ``glueflake status --json`` document."""
    return {"kind": "glueflake.status", "version": VERSION, **jsonable(report)}


def build_doc(build: BuildSummary) -> dict[str, Any]:
    """A dbt build's part of the run document: counts per resource type, then the nodes."""
    return {
        "target": build.target,
        "success": build.success,
        "elapsed": build.elapsed,
        "counts": {
            kind: jsonable(build.counts(kind)) for kind in ("model", "test", "seed", "snapshot")
        },
        "failed_nodes": [node.unique_id for node in build.failed_nodes],
        "errors": list(build.errors),
        "nodes": jsonable(build.nodes),
    }


def run_doc(
    result: RunResult | None,
    *,
    started_at: datetime,
    run_id: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The ``glueflake run --json`` document (also the run history's file)."""
    doc: dict[str, Any] = {
        "kind": "glueflake.run",
        "version": VERSION,
        "run_id": run_id or (result.extract.run_id if result else None),
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "ok": bool(result and result.ok and error is None),
        "error": error or (result.error if result else None),
        "seconds": dict(result.seconds) if result else {},
        "extract": None,
        "load": None,
        "status": None,
        "build": None,
        "warnings": list(result.warnings) if result else [],
    }
    if result is not None:
        doc["extract"] = extract_doc(result.extract)
        doc["load"] = load_doc(result.load)
        doc["status"] = status_doc(result.status) if result.status else None
        doc["build"] = build_doc(result.build) if result.build else None
    return doc


def dumps(doc: dict[str, Any]) -> str:
    """One document as the commands print it."""
    return json.dumps(doc, indent=2, default=str)


def runs_dir(config: PipelineConfig) -> Path:
    """Where this pipeline's run documents are kept."""
    return config.base_dir / RUNS_DIR


def recorded(
    config: PipelineConfig, run: Callable[[], RunResult]
) -> tuple[RunResult, dict[str, Any]]:
    """Call `run`, write its document to the history (also when it raises), notify.

    Returns:
        The run's result and its document.

    Raises:
        PipelineError: whatever `run` raised, after the failed run is recorded.
    """
    from glueflake.lake.layout import new_run_id

    started_at = datetime.now(UTC)
    try:
        result = run()
    except PipelineError as exc:
        doc = run_doc(None, started_at=started_at, run_id=new_run_id(), error=str(exc))
        write_run(config, doc)
        _notify(config, doc)
        raise
    doc = run_doc(result, started_at=started_at)
    write_run(config, doc)
    problem = _notify(config, doc)
    if problem:
        result.warnings.append(problem)
        doc["warnings"].append(problem)
    return result, doc


def _notify(config: PipelineConfig, doc: dict[str, Any]) -> str | None:
    from glueflake.notify import notify_run

    problem = notify_run(config.notify, doc)
    if problem:
        logging.getLogger(__name__).warning(problem)
    return problem


def write_run(config: PipelineConfig, doc: dict[str, Any]) -> Path:
    """Write a run's document to ``.glueflake/runs/<run_id>.json``."""
    folder = runs_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc['run_id']}.json"
    path.write_text(dumps(doc) + "\n", encoding="utf-8")
    return path


def list_runs(config: PipelineConfig, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded runs, newest first (a file that is not a run document is skipped)."""
    folder = runs_dir(config)
    paths = sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []
    runs: list[dict[str, Any]] = []
    for path in paths:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("kind") == "glueflake.run":
            runs.append(doc)
        if limit is not None and len(runs) >= limit:
            break
    return runs


def runs_table(runs: list[dict[str, Any]]) -> Any:
    """The `glueflake runs` table."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, justify in (
        ("run", "left"),
        ("result", "left"),
        ("extracted", "right"),
        ("loaded", "right"),
        ("tests", "right"),
        ("seconds", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=column != "result")  # type: ignore[arg-type]
    for doc in runs:
        extract, load, build = doc.get("extract") or {}, doc.get("load") or {}, doc.get("build")
        tests = (build or {}).get("counts", {}).get("test", {})
        table.add_row(
            str(doc.get("run_id")),
            "ok" if doc.get("ok") else f"failed: {doc.get('error') or ''}".splitlines()[0][:60],
            _count(extract.get("totals", {}).get("records")),
            _count(load.get("totals", {}).get("rows_loaded")),
            f"{tests.get('passed', 0)}/{sum(tests.values())}" if tests else "-",
            f"{sum((doc.get('seconds') or {}).values()):.1f}",
        )
    return table


def _count(value: Any) -> str:
    return "-" if value is None else f"{value:,}"
