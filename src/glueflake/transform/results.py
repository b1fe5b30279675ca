"""Typed results of dbt invocations and the failure they raise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from glueflake.errors import TransformError

# dbt statuses, normalised: models/seeds/snapshots say "success", tests "pass".
PASSED = "pass"
FAILED = "fail"
ERROR = "error"
WARNED = "warn"
SKIPPED = "skipped"
_NORMALISED = {
    "success": PASSED,
    "pass": PASSED,
    "fail": FAILED,
    "error": ERROR,
    "runtime error": ERROR,
    "warn": WARNED,
    "skipped": SKIPPED,
    "no-op": PASSED,
}
RESOURCE_TYPES = ("seed", "model", "snapshot", "test", "unit_test")


def normalise_status(status: str) -> str:
    """Map dbt's status strings onto pass/fail/error/warn/skipped."""
    return _NORMALISED.get(status.lower(), status.lower())


@dataclass(frozen=True)
class NodeResult:
    """The outcome of one dbt node.

    Attributes:
        unique_id: dbt's id, e.g. ``model.glueflake.fct_orders``.
        name: Node name.
        resource_type: ``model``, ``seed``, ``snapshot``, ``test`` or ``unit_test``.
        status: ``pass``, ``fail``, ``error``, ``warn`` or ``skipped``.
        rows_affected: Rows in the model after the build (from the row-count
            hook), else the adapter's count (seeds, snapshots); None if unknown.
        execution_time: Seconds.
        message: dbt's message (the error text for failures).
        failures: Failing rows of a test.
        relation: The built relation, when there is one.
        closed_versions: For a snapshot, versions closed so far (its history).
        rescued_values: For a raw model, the values its records hold in
            ``_rescued`` (fields that did not fit their type); None for others.
    """

    unique_id: str
    name: str
    resource_type: str
    status: str
    rows_affected: int | None = None
    execution_time: float = 0.0
    message: str | None = None
    failures: int | None = None
    relation: str | None = None
    closed_versions: int | None = None
    rescued_values: int | None = None

    @property
    def ok(self) -> bool:
        """True unless the node errored or (as a test) failed."""
        return self.status not in (FAILED, ERROR)

    def describe(self) -> str:
        """One line naming the node and what went wrong."""
        text = f"{self.resource_type} {self.name}: {self.status}"
        if self.failures:
            text += f" ({self.failures} failing rows)"
        if self.message and self.status in (FAILED, ERROR, WARNED):
            text += f": {self.message.strip()}"
        return text


@dataclass(frozen=True)
class Counts:
    """Node counts of one resource type by outcome."""

    passed: int = 0
    failed: int = 0
    warned: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        """All nodes of this type."""
        return self.passed + self.failed + self.warned + self.skipped


@dataclass(frozen=True)
class BuildSummary:
    """What one ``dbt build`` did.

    Attributes:
        nodes: Per-node results in completion order.
        elapsed: Wall time of the invocation, seconds.
        success: dbt's own verdict.
        target: The profile target built.
        errors: Error-level messages dbt logged outside any node (parse or
            connection errors, for instance).
    """

    nodes: tuple[NodeResult, ...]
    elapsed: float
    success: bool
    target: str
    errors: tuple[str, ...] = ()

    def counts(self, resource_type: str) -> Counts:
        """Counts of one resource type (``test`` includes unit tests)."""
        types = ("test", "unit_test") if resource_type == "test" else (resource_type,)
        by_status = Counter(n.status for n in self.nodes if n.resource_type in types)
        return Counts(
            passed=by_status[PASSED],
            failed=by_status[FAILED] + by_status[ERROR],
            warned=by_status[WARNED],
            skipped=by_status[SKIPPED],
        )

    @property
    def models(self) -> Counts:
        """Model counts."""
        return self.counts("model")

    @property
    def tests(self) -> Counts:
        """Data and unit test counts."""
        return self.counts("test")

    @property
    def snapshots(self) -> Counts:
        """Snapshot counts."""
        return self.counts("snapshot")

    @property
    def seeds(self) -> Counts:
        """Seed counts."""
        return self.counts("seed")

    @property
    def failed_nodes(self) -> tuple[NodeResult, ...]:
        """Nodes that errored, and tests that failed."""
        return tuple(n for n in self.nodes if not n.ok)

    @property
    def ok(self) -> bool:
        """Whether dbt succeeded and no node failed."""
        return self.success and not self.failed_nodes and not self.errors

    def node(self, name: str) -> NodeResult:
        """The result of the node called ``name``.

        Raises:
            KeyError: No node has that name.
        """
        for result in self.nodes:
            if result.name == name:
                return result
        raise KeyError(name)

    @property
    def rows(self) -> dict[str, int]:
        """Rows per model (after the build) by model name, where known."""
        return {
            n.name: n.rows_affected
            for n in self.nodes
            if n.resource_type == "model" and n.rows_affected is not None
        }

    @property
    def snapshot_history(self) -> dict[str, tuple[int, int]]:
        """Per snapshot: (versions, closed versions), where known."""
        return {
            n.name: (n.rows_affected, n.closed_versions or 0)
            for n in self.nodes
            if n.resource_type == "snapshot" and n.rows_affected is not None
        }

    @property
    def raw_rows(self) -> dict[tuple[str, str], int]:
        """Rows per raw model keyed like the landing tables: ``(source, entity)``.

        ``raw_shop__orders`` becomes ``("shop", "orders")``.
        """
        return _by_entity(self.rows)

    @property
    def rescued(self) -> dict[tuple[str, str], int]:
        """Rescued values per raw model, keyed ``(source, entity)`` like ``raw_rows``.

        A rescued value is a field of a record that did not fit its declared type;
        the raw model keeps it in ``_rescued`` (see ``macros/cross_db/json_fields.sql``).
        """
        counts = {
            n.name: n.rescued_values
            for n in self.nodes
            if n.resource_type == "model" and n.rescued_values is not None
        }
        return _by_entity(counts)

    def headline(self) -> str:
        """One line: models, tests, snapshots and seeds by outcome, and the time."""
        parts = []
        for label, counts in (
            ("models", self.models),
            ("tests", self.tests),
            ("snapshots", self.snapshots),
            ("seeds", self.seeds),
        ):
            text = f"{counts.passed}/{counts.total} {label} passed"
            extra = [
                f"{value} {word}"
                for value, word in (
                    (counts.failed, "failed"),
                    (counts.warned, "warned"),
                    (counts.skipped, "skipped"),
                )
                if value
            ]
            if extra:
                text += f" ({', '.join(extra)})"
            parts.append(text)
        return f"dbt build [{self.target}]: " + ", ".join(parts) + f" in {self.elapsed:.1f}s"

    def __rich__(self) -> RenderableType:
        table = Table(title="dbt build", title_justify="left")
        table.add_column("resource")
        for column in ("passed", "failed", "warned", "skipped"):
            table.add_column(column, justify="right")
        for label, counts in (
            ("models", self.models),
            ("tests", self.tests),
            ("snapshots", self.snapshots),
            ("seeds", self.seeds),
        ):
            table.add_row(
                label,
                str(counts.passed),
                str(counts.failed),
                str(counts.warned),
                str(counts.skipped),
            )
        parts: list[RenderableType] = [table, Text(self.headline())]
        parts.extend(Text(n.describe(), style="red") for n in self.failed_nodes)
        parts.extend(Text(message, style="red") for message in self.errors)
        return Group(*parts)


def _by_entity(per_model: dict[str, int]) -> dict[tuple[str, str], int]:
    """Figures of ``raw_<source>__<entity>`` models keyed ``(source, entity)``."""
    out: dict[tuple[str, str], int] = {}
    for name, value in per_model.items():
        if name.startswith("raw_") and "__" in name:
            source, entity = name.removeprefix("raw_").split("__", 1)
            out[(source, entity)] = value
    return out


@dataclass(frozen=True)
class SourceFreshness:
    """Freshness of one source table.

    Attributes:
        source: Source name.
        table: Table name.
        status: ``pass``, ``warn``, ``error`` or ``runtime error``.
        max_loaded_at: Latest ``loaded_at_field`` value.
        age_seconds: Age of that value when checked.
        message: Error text for runtime errors.
    """

    source: str
    table: str
    status: str
    max_loaded_at: datetime | None = None
    age_seconds: float | None = None
    message: str | None = None


@dataclass(frozen=True)
class FreshnessSummary:
    """What ``dbt source freshness`` found.

    Attributes:
        sources: One entry per source table checked.
        elapsed: Wall time, seconds.
    """

    sources: tuple[SourceFreshness, ...]
    elapsed: float

    @property
    def stale(self) -> tuple[SourceFreshness, ...]:
        """Tables past a threshold or that could not be checked."""
        return tuple(s for s in self.sources if s.status != PASSED)


@dataclass(eq=False)
class DbtFailure(TransformError):
    """dbt failed: a node errored, a test failed, or dbt itself could not run.

    The message names every failed node and test with dbt's error text.

    Attributes:
        command: The dbt command (``build``, ``source freshness``).
        failed: The failed nodes.
        errors: Other error messages dbt logged.
        summary: The build summary, when the build got as far as running nodes.
    """

    command: str
    failed: tuple[NodeResult, ...] = ()
    errors: tuple[str, ...] = ()
    summary: BuildSummary | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__init__(self.message())

    def message(self) -> str:
        """Human-readable text naming each failure."""
        lines = _describe(self.command, self.failed, self.errors)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()


def _describe(command: str, failed: Iterable[NodeResult], errors: Iterable[str]) -> list[str]:
    failed = list(failed)
    errors = [e for e in errors if e.strip()]
    names = ", ".join(n.name for n in failed)
    if failed:
        head = f"dbt {command} failed: {len(failed)} node(s) failed: {names}"
    else:
        head = f"dbt {command} failed"
    return [head] + [f"  - {n.describe()}" for n in failed] + [f"  - {e}" for e in errors]
