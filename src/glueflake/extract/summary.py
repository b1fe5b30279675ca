"""What an extract run did, per endpoint and in total (printed by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from glueflake.tables import count, summary_table


@dataclass
class EntityResult:
    """One endpoint's outcome in one run.

    Attributes:
        source: source name.
        entity: entity (endpoint) name.
        pages: pages fetched and used.
        records: records written.
        files: data files committed.
        bytes: compressed bytes committed.
        skipped_unchanged: a full-refresh payload equal to the last commit (nothing written).
        dropped_at_bookmark: records served again at the bookmark instant and dropped.
        bookmark_before: the cursor value the run started from (None if not incremental).
        bookmark_after: the cursor value stored after the run.
        page_size_served: the API's own page size when it served fewer records a
            page than `page_size` asked (the walk went on; worth setting page_size to it).
        rejected: records left out because their cursor cannot be trusted (kept, with
            the reason, at `rejects_key` in the lake; `reject_reason` is the first's).
        seconds: wall time.
    """

    source: str
    entity: str
    pages: int = 0
    records: int = 0
    files: int = 0
    bytes: int = 0
    skipped_unchanged: bool = False
    dropped_at_bookmark: int = 0
    bookmark_before: Any = None
    bookmark_after: Any = None
    page_size_served: int | None = None
    rejected: int = 0
    rejects_key: str | None = None
    reject_reason: str | None = None
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """``source.entity``."""
        return f"{self.source}.{self.entity}"


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass
class ExtractSummary:
    """A whole extract run: one result per endpoint, plus totals."""

    run_id: str
    results: list[EntityResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        """Records written, all endpoints."""
        return sum(r.records for r in self.results)

    @property
    def rejected(self) -> int:
        """Records rejected at extract (an untrusted cursor), all endpoints."""
        return sum(r.rejected for r in self.results)

    @property
    def pages(self) -> int:
        """Pages fetched, all endpoints."""
        return sum(r.pages for r in self.results)

    @property
    def files(self) -> int:
        """Data files committed, all endpoints."""
        return sum(r.files for r in self.results)

    @property
    def bytes(self) -> int:
        """Compressed bytes committed, all endpoints."""
        return sum(r.bytes for r in self.results)

    def result(self, source: str, entity: str) -> EntityResult:
        """The result of one endpoint (KeyError if it was not extracted)."""
        for r in self.results:
            if (r.source, r.entity) == (source, entity):
                return r
        raise KeyError(f"{source}.{entity}")

    def __rich__(self) -> Table:
        """Per-endpoint counts as a table; bookmarks listed under it (fits 80 columns)."""
        table = summary_table(
            f"extract run {self.run_id}",
            "endpoint",
            ("pages", "records", "files", "bytes", "sec"),
            ("note",),
        )
        notes: list[str] = []
        for r in self.results:
            if r.skipped_unchanged:
                note = "unchanged"
            elif r.records == 0:
                note = "nothing new"
            else:
                note = ""
            table.add_row(
                r.name,
                count(r.pages),
                count(r.records),
                count(r.files),
                _human_bytes(r.bytes),
                f"{r.seconds:.2f}",
                note,
            )
            if r.page_size_served is not None:
                notes.append(
                    f"{r.name}: the API serves {r.page_size_served:,} records a page, fewer "
                    "than page_size asks; all pages were read"
                )
            if r.rejected:
                notes.append(
                    f"{r.name}: {r.rejected:,} record(s) rejected, kept with the reason in "
                    f"{r.rejects_key}; first: {r.reject_reason}"
                )
            if r.bookmark_after is not None:
                moved = "unchanged" if r.bookmark_after == r.bookmark_before else "advanced"
                notes.append(f"bookmark {r.name} = {r.bookmark_after} ({moved})")
        table.add_section()
        table.add_row(
            "total",
            count(self.pages),
            count(self.records),
            count(self.files),
            _human_bytes(self.bytes),
            f"{self.seconds:.2f}",
            "",
            style="bold",
        )
        # A Text, not markup: cursor values are shown as the API served them.
        table.caption = Text("\n".join(notes), style="table.caption") if notes else None
        return table
