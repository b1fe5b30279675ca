"""What the run report shows, as plain typed data (gathered in `gather`, drawn in `render`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from glueflake.load.status import EntityStatus

#: dbt statuses in the order the report lists nodes: failures first.
STATUS_ORDER: dict[str, int] = {"error": 0, "fail": 1, "runtime error": 0, "warn": 2}


@dataclass(frozen=True)
class RejectReason:
    """Rejected rows of one entity that share a reason.

    Attributes:
        reason: the loader's reason, e.g. ``line 3, column 7: unexpected character``
            with the line and column left out so equal reasons group.
        rows: how many rows.
        example: ``file key:line`` of the first such row.
    """

    reason: str
    rows: int
    example: str


@dataclass(frozen=True)
class Freshness:
    """How old an entity's last load is against dbt's freshness thresholds.

    Attributes:
        status: ``pass``, ``warn``, ``error`` or ``never`` (nothing loaded).
        age_hours: hours since the last load (None: never loaded).
        warn_after_hours: the source's warn threshold, when configured.
        error_after_hours: the source's error threshold, when configured.
    """

    status: str
    age_hours: float | None = None
    warn_after_hours: float | None = None
    error_after_hours: float | None = None


@dataclass(frozen=True)
class ModelCount:
    """A dbt relation with its row count and its page in the dbt docs.

    Attributes:
        unique_id: dbt's id.
        name: the node's name.
        layer: lineage layer (``source``, ``raw``, ``transform``, ``mart``...).
        rows: ``count(*)`` of the relation (None: not counted or missing).
        docs_url: link into the dbt docs site, relative to the report.
    """

    unique_id: str
    name: str
    layer: str
    rows: int | None
    docs_url: str


@dataclass
class EntityReport:
    """One entity across the layers.

    Attributes:
        status: what ``glueflake status`` prints for it.
        extracted: records the latest extract run committed for it.
        raw: the raw model(s) built from its landing table.
        marts: mart models downstream of it.
        rejects: rejected rows grouped by reason.
        rescued: rows of its raw model with a rescued value (None: no ``_rescued``
            column in this project).
        drift: its schema history rows (None: no ``_glueflake.schema_history`` table).
        freshness: age of the last load.
        source_docs_url: its landing table's page in the dbt docs.
    """

    status: EntityStatus
    extracted: int = 0
    raw: list[ModelCount] = field(default_factory=list)
    marts: list[ModelCount] = field(default_factory=list)
    rejects: list[RejectReason] = field(default_factory=list)
    rescued: int | None = None
    drift: list[dict[str, str]] | None = None
    freshness: Freshness = field(default_factory=lambda: Freshness("never"))
    source_docs_url: str | None = None

    @property
    def name(self) -> str:
        """``source.entity``."""
        return self.status.name

    @property
    def raw_rows(self) -> int | None:
        """Rows of the raw model(s), None when none was counted."""
        counted = [m.rows for m in self.raw if m.rows is not None]
        return sum(counted) if counted else None


@dataclass(frozen=True)
class Stage:
    """One stage of one run.

    Attributes:
        name: ``extract``, ``load`` or ``transform``.
        start: when it started (UTC).
        seconds: how long it took (0 when only its end is known).
        ok: whether it succeeded.
        detail: a short line (records, files, failures).
    """

    name: str
    start: datetime
    seconds: float
    ok: bool = True
    detail: str = ""


@dataclass
class RunRecord:
    """One pipeline run, as far as what it left behind tells.

    Attributes:
        run_id: the extract's run id (or the load's / dbt's id when only that ran).
        started: its first stage's start.
        stages: its stages in order.
        origin: where the record came from (``run file`` or ``lake + ledger``).
    """

    run_id: str
    started: datetime
    stages: list[Stage] = field(default_factory=list)
    origin: str = "lake + ledger"

    @property
    def ok(self) -> bool:
        """Whether every stage succeeded."""
        return all(s.ok for s in self.stages)

    @property
    def seconds(self) -> float:
        """From the first stage's start to the last one's end."""
        if not self.stages:
            return 0.0
        end = max(s.start.timestamp() + s.seconds for s in self.stages)
        return max(0.0, end - self.started.timestamp())


@dataclass(frozen=True)
class DbtNode:
    """One node of the last dbt invocation (``target/run_results.json``).

    Attributes:
        unique_id: dbt's id.
        resource_type: ``model``, ``test``, ``seed``...
        name: the node's name.
        status: dbt's status (``success``, ``pass``, ``fail``, ``error``...).
        seconds: execution time.
        message: dbt's message (the error text of a failure).
        failures: failing rows of a test.
        docs_url: its page in the dbt docs.
    """

    unique_id: str
    resource_type: str
    name: str
    status: str
    seconds: float
    message: str | None
    failures: int | None
    docs_url: str

    @property
    def failed(self) -> bool:
        """An error, or a failed test."""
        return self.status in ("error", "fail", "runtime error")


@dataclass
class DbtRun:
    """The last dbt invocation in dbt's target folder.

    Attributes:
        command: ``build``, ``run``, ``test``...
        generated_at: when it ended.
        elapsed: its wall time in seconds.
        nodes: its nodes, failures first.
    """

    command: str
    generated_at: datetime | None
    elapsed: float
    nodes: list[DbtNode] = field(default_factory=list)

    @property
    def failed(self) -> list[DbtNode]:
        """The nodes that errored or failed."""
        return [n for n in self.nodes if n.failed]

    @property
    def headline_nodes(self) -> list[DbtNode]:
        """Failures and warnings first, then every node that is not a passing test."""
        return [n for n in self.nodes if not _passing_test(n)]

    @property
    def passing_tests(self) -> list[DbtNode]:
        """Tests (data and unit) that passed."""
        return [n for n in self.nodes if _passing_test(n)]


def _passing_test(node: DbtNode) -> bool:
    return node.resource_type in ("test", "unit_test") and node.status == "pass"


@dataclass(frozen=True)
class Lineage:
    """The lineage picture as the report embeds it.

    Attributes:
        svg: inline SVG with row counts on the nodes (drawn by Graphviz), or None.
        png_data_uri: the committed ``diagrams/lineage.png`` when `dot` is missing.
        links: node id -> dbt docs link, for clicks on the SVG's nodes.
    """

    svg: str | None = None
    png_data_uri: str | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    """Everything the run report shows.

    Attributes:
        generated_at: when the report was written (UTC).
        project: the dbt project's name.
        lake_url: the lake.
        warehouse: the warehouse (file or account).
        target: dbt's profile target.
        entities: one per configured entity.
        runs: the last runs, newest first.
        dbt: the last dbt invocation, when its results exist.
        models: every counted relation in lineage order.
        lineage: the picture.
        notes: what could not be shown and why.
        docs_index: the dbt docs page, relative to the report.
    """

    generated_at: datetime
    project: str
    lake_url: str
    warehouse: str
    target: str
    entities: list[EntityReport] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    dbt: DbtRun | None = None
    models: list[ModelCount] = field(default_factory=list)
    lineage: Lineage = field(default_factory=Lineage)
    notes: list[str] = field(default_factory=list)
    docs_index: str = "index.html"

    def summary(self) -> dict[str, Any]:
        """The entity numbers as plain data (embedded in the page for scripts and tests)."""
        return {
            e.name: {
                "extracted": e.extracted,
                "lake_files": e.status.lake_files,
                "lake_records": e.status.lake_records,
                "loaded_files": e.status.loaded_files,
                "loaded_rows": e.status.loaded_rows,
                "rejected": e.status.rejected_rows,
                "landing_rows": e.status.landing_rows,
                "raw_rows": e.raw_rows,
                "pending": e.status.pending_files,
                "orphaned": e.status.orphaned_files,
                "changed": e.status.changed_files,
                "rescued": e.rescued,
            }
            for e in self.entities
        }
