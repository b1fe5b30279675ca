"""Gather the run report's data: status, lake, ledger, warehouse counts, dbt artefacts.

Nothing here draws; `render` turns the `Report` into HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from glueflake.config import DuckDBWarehouse, PipelineConfig
from glueflake.diagrams.lineage import LineageGraph, lineage_graph
from glueflake.lake import ObjectStore, list_manifests, open_lake
from glueflake.load.status import EntityStatus, StatusReport
from glueflake.report.facts import WarehouseFacts, warehouse_facts
from glueflake.report.lineage_view import lineage_view
from glueflake.report.model import (
    STATUS_ORDER,
    DbtNode,
    DbtRun,
    EntityReport,
    Freshness,
    ModelCount,
    Report,
)
from glueflake.report.runs import (
    ExtractCommit,
    LedgerFile,
    merge_runs,
    read_run_files,
    reconstruct_runs,
)

RUNS_DIR = ".glueflake/runs"
RUN_RESULTS = "run_results.json"
_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}


def docs_url(unique_id: str, resource_type: str | None = None, *, index: str = "index.html") -> str:
    """The page of a node in the dbt docs site (``index.html#!/model/model.p.name``)."""
    kind = resource_type or unique_id.split(".", 1)[0]
    return f"{index}#!/{kind}/{unique_id}"


def read_dbt_run(
    path: Path, *, names: Mapping[str, str] | None = None, index: str = "index.html"
) -> DbtRun | None:
    """The nodes of a ``run_results.json``, failures first; None if there is none.

    Args:
        path: the file.
        names: node names by unique id (from the manifest); a test's id ends in a hash.
        index: the dbt docs page, relative to the report.
    """
    names = names or {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, Mapping):
        return None
    metadata = data.get("metadata") or {}
    args = data.get("args") or {}
    generated = metadata.get("generated_at")
    try:
        generated_at = datetime.fromisoformat(str(generated).replace("Z", "+00:00"))
    except ValueError:
        generated_at = None
    if generated_at is not None and generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    nodes = []
    for r in data.get("results") or ():
        uid = str(r.get("unique_id", "?"))
        parts = uid.split(".")
        nodes.append(
            DbtNode(
                unique_id=uid,
                resource_type=parts[0],
                name=names.get(uid) or (parts[2] if len(parts) > 2 else uid),
                status=str(r.get("status") or "").lower(),
                seconds=float(r.get("execution_time") or 0.0),
                message=str(r["message"]) if r.get("message") else None,
                failures=int(r["failures"]) if r.get("failures") is not None else None,
                docs_url=docs_url(uid, parts[0], index=index),
            )
        )
    nodes.sort(key=lambda n: (STATUS_ORDER.get(n.status, 9), n.resource_type, n.name))
    return DbtRun(
        command=str(args.get("which") or "dbt"),
        generated_at=generated_at,
        elapsed=float(data.get("elapsed_time") or 0.0),
        nodes=nodes,
    )


def _freshness(
    source: Mapping[str, Any] | None, last_loaded_at: datetime | None, now: datetime
) -> Freshness:
    config = dict((source or {}).get("freshness") or {})
    thresholds = []
    for key in ("warn_after", "error_after"):
        rule = config.get(key) or {}
        count, period = rule.get("count"), rule.get("period")
        thresholds.append(
            float(count) * _HOURS[period] if count is not None and period in _HOURS else None
        )
    warn, error = thresholds
    if last_loaded_at is None:
        return Freshness("never", None, warn, error)
    age = (now - last_loaded_at).total_seconds() / 3600
    status = "pass"
    if error is not None and age >= error:
        status = "error"
    elif warn is not None and age >= warn:
        status = "warn"
    return Freshness(status, age, warn, error)


def _descendants(graph: LineageGraph, start: str) -> set[str]:
    children: dict[str, list[str]] = {}
    for parent, child in graph.edges:
        children.setdefault(parent, []).append(child)
    seen: set[str] = set()
    todo = [start]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _count_models(
    manifest: Mapping[str, Any], graph: LineageGraph, facts: WarehouseFacts, index: str
) -> dict[str, ModelCount]:
    entries = {**dict(manifest.get("nodes") or {}), **dict(manifest.get("sources") or {})}
    counts: dict[str, ModelCount] = {}
    for node in graph.nodes:
        entry = entries.get(node.unique_id) or {}
        relation = entry.get("relation_name")
        kind = str(entry.get("resource_type") or node.unique_id.split(".", 1)[0])
        counts[node.unique_id] = ModelCount(
            unique_id=node.unique_id,
            name=node.label,
            layer=node.layer,
            rows=facts.count(str(relation)) if relation else None,
            docs_url=docs_url(node.unique_id, kind, index=index),
        )
    return counts


def _landing_source(
    manifest: Mapping[str, Any], source: str, entity: str
) -> Mapping[str, Any] | None:
    for entry in dict(manifest.get("sources") or {}).values():
        if entry.get("name") == f"{source}__{entity}":
            return dict(entry)
    return None


def _latest_commits(
    store: ObjectStore, entities: Sequence[EntityStatus]
) -> tuple[list[ExtractCommit], dict[str, int]]:
    """Every manifest as a commit, and the records the newest run committed per entity."""
    commits: list[ExtractCommit] = []
    for e in entities:
        commits.extend(
            ExtractCommit(m.run_id, e.name, m.records, m.committed_at)
            for m in list_manifests(store, e.source, e.entity)
        )
    latest = max((c.run_id for c in commits), default=None)
    extracted = {e.name: 0 for e in entities}
    for c in commits:
        if c.run_id == latest:
            extracted[c.entity] += c.records
    return commits, extracted


def _ledger_files(cfg: PipelineConfig) -> list[LedgerFile]:
    """The DuckDB ledger's rows (none for other warehouses or before the first load)."""
    if not isinstance(cfg.warehouse, DuckDBWarehouse):
        return []
    from glueflake.load.duckdb.connection import connect
    from glueflake.load.duckdb.ledger import HISTORY, ledger_exists

    path = cfg.resolve_path(cfg.warehouse.path)
    if not path.exists():
        return []
    con = connect(path, read_only=True)
    try:
        if not ledger_exists(con):
            return []
        rows = con.execute(
            f"select load_id, run_id, status, rows_loaded, rows_rejected, loaded_at from {HISTORY}"
        ).fetchall()
    finally:
        con.close()
    return [
        LedgerFile(str(lid or ""), str(rid or ""), str(st), int(ld or 0), int(rj or 0), at)
        for lid, rid, st, ld, rj, at in rows
        if at is not None
    ]


def gather_report(
    cfg: PipelineConfig,
    status: StatusReport,
    manifest: Mapping[str, Any],
    *,
    target_path: Path,
    target: str,
    runs_dir: Path | None = None,
    store: ObjectStore | None = None,
    now: datetime | None = None,
    index: str = "index.html",
    fallback_png: Path | None = None,
) -> Report:
    """Everything the report shows.

    Args:
        cfg: the pipeline.
        status: what ``glueflake status`` reports (the entity numbers, as printed).
        manifest: dbt's manifest (lineage, relations, freshness thresholds).
        target_path: dbt's target folder of the last build (its ``run_results.json``).
        target: the dbt target.
        runs_dir: run files folder (default: ``.glueflake/runs`` beside the config).
        store: the lake (default: the configured one).
        now: the time to judge freshness by.
        index: the dbt docs page, relative to the report.
        fallback_png: the lineage picture to embed when Graphviz cannot draw one.

    Returns:
        The report's data.
    """
    now = now or datetime.now(UTC)
    store = store or open_lake(cfg)
    project = str((manifest.get("metadata") or {}).get("project_name") or "project")
    report = Report(
        generated_at=now,
        project=project,
        lake_url=status.lake_url,
        warehouse=status.warehouse,
        target=target,
        docs_index=index,
    )
    graph = lineage_graph(manifest, package=project)
    commits, extracted = _latest_commits(store, status.entities)
    with warehouse_facts(cfg) as facts:
        counts = _count_models(manifest, graph, facts, index)
        for e in status.entities:
            source = _landing_source(manifest, e.source, e.entity)
            item = EntityReport(status=e, extracted=extracted.get(e.name, 0))
            item.freshness = _freshness(source, e.last_loaded_at, now)
            item.rejects = facts.rejects(f"{e.source}__{e.entity}")
            item.drift = facts.drift(e.source, e.entity)
            if source is not None:
                uid = str(source["unique_id"])
                item.source_docs_url = docs_url(uid, "source", index=index)
                below = _descendants(graph, uid)
                item.raw = [counts[u] for u in sorted(below) if counts[u].layer == "raw"]
                item.marts = [counts[u] for u in sorted(below) if counts[u].layer == "mart"]
                rescued = [
                    facts.rescued(str(manifest["nodes"][m.unique_id].get("relation_name")))
                    for m in item.raw
                ]
                known = [r for r in rescued if r is not None]
                item.rescued = sum(known) if known else None
            report.entities.append(item)
    order = {layer: i for i, layer in enumerate(("source", "seed", "raw", "snapshot"))}
    report.models = sorted(counts.values(), key=lambda m: (order.get(m.layer, 5), m.layer, m.name))
    report.lineage, note = lineage_view(
        graph, counts, title=f"dbt lineage: {project}", fallback_png=fallback_png
    )
    if note:
        report.notes.append(note)
    if not isinstance(cfg.warehouse, DuckDBWarehouse):
        report.notes.append(
            f"row counts per model are read from DuckDB warehouses only "
            f"({cfg.warehouse.type} here): the lake and ledger figures come from its status"
        )
    names = {
        str(uid): str(node.get("name") or uid)
        for key in ("nodes", "unit_tests")
        for uid, node in dict(manifest.get(key) or {}).items()
    }
    report.dbt = read_dbt_run(target_path / RUN_RESULTS, names=names, index=index)
    if report.dbt is None:
        report.notes.append(f"no dbt results in {target_path} yet: run `glueflake transform`")
    from_files, problems = read_run_files(runs_dir or cfg.resolve_path(RUNS_DIR))
    report.notes.extend(problems)
    rebuilt = reconstruct_runs(commits, _ledger_files(cfg), report.dbt)
    report.runs = merge_runs(from_files, rebuilt)
    return report
