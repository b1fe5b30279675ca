"""Types shared by the loader modules: file statuses, outcomes and reject rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FileStatus(StrEnum):
    """A file's load status in the ledger (Snowflake COPY_HISTORY's vocabulary)."""

    LOADED = "LOADED"
    PARTIALLY_LOADED = "PARTIALLY_LOADED"
    LOAD_FAILED = "LOAD_FAILED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class RejectRow:
    """One bad line of a lake file.

    Attributes:
        line: 1-based line number in the decompressed file.
        raw: the line's text (undecodable bytes replaced).
        reason: why it was rejected, with the column where there is one.
    """

    line: int
    raw: str
    reason: str


@dataclass(frozen=True)
class FileOutcome:
    """What loading one file did (one ledger row).

    Attributes:
        key: the lake key of the file.
        status: the ledger status.
        rows_parsed: non-blank lines read (plus one for an unreadable tail).
        rows_loaded: rows inserted into the landing table.
        rows_rejected: rows parsed but not loaded (bad ones, or all of a skipped file).
        first_error: ``line L, column C: message`` of the first bad row, if any.
        first_error_line: the line of the first bad row, if any.
    """

    key: str
    status: FileStatus
    rows_parsed: int
    rows_loaded: int
    rows_rejected: int
    first_error: str | None = None
    first_error_line: int | None = None


@dataclass(frozen=True)
class SchemaChange:
    """A top-level field of an entity's records that appeared or disappeared at load.

    Attributes:
        field: the field (a top-level key of the records).
        change: ``new`` (first seen), ``gone`` (absent from every record of a file
            after earlier files had it) or ``back`` (seen again after ``gone``).
        file_key: the lake file from which on it is so.
    """

    field: str
    change: str
    file_key: str

    def describe(self, entity: str) -> str:
        """``shop.orders: new field `discount_code` since file raw/shop/orders/...``."""
        what = {"new": "new field", "gone": "field gone", "back": "field back"}[self.change]
        return f"{entity}: {what} `{self.field}` since file {self.file_key}"
