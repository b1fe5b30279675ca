"""Column types, a primary key and a cursor field, inferred from sample records.

Records are read with ``Decimal`` for every JSON number that has a fraction, so
the digits the API sent are what is measured (a float would invent some).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# ISO 8601 timestamps and dates as APIs write them.
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CURSOR_NAMES = (
    "updated_at",
    "updatedat",
    "modified_at",
    "modifiedat",
    "last_modified",
    "lastmodified",
    "last_updated",
    "lastupdated",
    "updated",
    "modified",
    "date_modified",
    "changed_at",
)
# Names a raw model already uses (load metadata), and SQL words a column cannot be
# named without quoting: a field with such a name gets a trailing underscore.
_TAKEN = frozenset(
    {"record", "_file_name", "_file_row_number", "_file_last_modified", "_run_id"}
    | {"_loaded_at", "_versions_seen", "_last_loaded_at", "_copies", "_copies_loaded_at"}
)
# fmt: off
_SQL_WORDS = frozenset(
    (
        "all", "and", "any", "array", "as", "asc", "between", "both", "by", "case", "cast",
        "check", "collate", "column", "constraint", "create", "cross", "current_date",
        "current_time", "current_timestamp", "current_user", "default", "desc", "distinct", "do",
        "else", "end", "except", "exists", "false", "fetch", "for", "foreign", "from", "full",
        "grant", "group", "having", "ilike", "in", "inner", "intersect", "interval", "into", "is",
        "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
        "natural", "not", "null", "of", "offset", "on", "only", "or", "order", "outer", "over",
        "pivot", "primary", "qualify", "references", "returning", "right", "row", "rows", "select",
        "session_user", "set", "some", "symmetric", "table", "then", "to", "trailing", "true",
        "union", "unique", "unpivot", "user", "using", "values", "when", "where", "window", "with",
    )
)
# fmt: on
# A decimal column keeps this many digits after the point (3 more than any sample had
# is the most it takes: beyond, the column is a double, so nothing is rounded away).
DECIMAL_SCALE = 9
_MAX_SAMPLE_SCALE = 6

INTEGER, DECIMAL, DOUBLE, BOOLEAN, TIMESTAMP, DATE, TEXT, OBJECT, ARRAY = (
    "integer",
    "decimal",
    "double",
    "boolean",
    "timestamp",
    "date",
    "text",
    "object",
    "array",
)
SQL_TYPES = {
    INTEGER: "bigint",
    DECIMAL: f"decimal(38, {DECIMAL_SCALE})",
    DOUBLE: "double",
    BOOLEAN: "boolean",
    TIMESTAMP: "timestamp",
    DATE: "date",
    TEXT: "varchar",
    OBJECT: None,
    ARRAY: None,
}


@dataclass(frozen=True)
class Column:
    """One top-level field of the records.

    Attributes:
        key: the field's name in the JSON.
        name: the column's name (snake_case, a valid identifier).
        kind: one of the kinds above (``integer``, ``decimal``, ``timestamp``...).
        present: in how many samples the field was there and not null.
        samples: how many records were looked at.
        unique: whether every present value was different (scalars only).
    """

    key: str
    name: str
    kind: str
    present: int
    samples: int
    unique: bool

    @property
    def sql_type(self) -> str | None:
        """The type the JSON macros cast to; None keeps nested JSON/VARIANT."""
        return SQL_TYPES[self.kind]

    @property
    def description(self) -> str:
        """The column's description in the models yml."""
        shown = {OBJECT: "JSON object", ARRAY: "JSON array"}.get(self.kind, self.kind)
        if self.sql_type and self.sql_type != self.kind:
            shown += f" ({self.sql_type})"
        missing = self.samples - self.present
        nulls = f"; null or missing in {missing}" if missing else ""
        return f"`{self.key}`: {shown}, inferred from {self.samples} samples{nulls}."


@dataclass(frozen=True)
class Inference:
    """What the samples say: columns, key and cursor candidates, and skipped fields."""

    columns: tuple[Column, ...]
    key_candidates: tuple[str, ...]
    cursor_candidates: tuple[str, ...]
    skipped: tuple[str, ...]
    samples: int

    def column(self, key: str) -> Column | None:
        """The column of JSON field `key`, if there is one."""
        return next((c for c in self.columns if c.key == key), None)


def snake_case(key: str) -> str:
    """``updatedAt`` -> ``updated_at``; ``ID`` -> ``id``; ``order-id`` -> ``order_id``."""
    text = re.sub(r"[^A-Za-z0-9]+", "_", key)
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"_+", "_", text).strip("_").lower()
    if not text or not text[0].isalpha():
        text = f"f_{text}"
    return text


_PYTHON_KINDS: tuple[tuple[type, str], ...] = (
    (bool, BOOLEAN),  # before int: a bool is an int
    (int, INTEGER),
    (float, DOUBLE),
    (dict, OBJECT),
    (list, ARRAY),
)


def kind_of(value: Any) -> str | None:
    """The kind of one JSON value; None for null."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return DECIMAL if _fits_decimal(value) else DOUBLE
    for python_type, kind in _PYTHON_KINDS:
        if isinstance(value, python_type):
            return kind
    text = str(value)
    if _TIMESTAMP.match(text):
        return TIMESTAMP
    return DATE if _DATE.match(text) else TEXT


def _fits_decimal(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN, infinity
        return False
    scale = max(0, -exponent)
    return scale <= _MAX_SAMPLE_SCALE and abs(value) < Decimal(10) ** (38 - DECIMAL_SCALE)


def merge_kinds(kinds: set[str]) -> str:
    """One kind for a field whose samples had `kinds` (nulls left out)."""
    if not kinds:
        return TEXT
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds <= {INTEGER, DECIMAL}:
        return DECIMAL
    if kinds <= {INTEGER, DECIMAL, DOUBLE}:
        return DOUBLE
    if kinds <= {TIMESTAMP, DATE}:
        return TIMESTAMP
    return TEXT  # mixed scalars: the text as sent; mixed nested: text of the JSON


def infer(records: Sequence[dict[str, Any]]) -> Inference:
    """Infer the columns of `records` (top-level fields, in first-seen order).

    Fields whose name cannot be written as a JSON path step (a dot, a space...) are
    not typed; they are named in `skipped` (the landing table keeps them).
    """
    order: list[str] = []
    kinds: dict[str, set[str]] = {}
    present: dict[str, int] = {}
    values: dict[str, list[Any]] = {}
    for record in records:
        for key, value in record.items():
            if key not in kinds:
                order.append(key)
                kinds[key], present[key], values[key] = set(), 0, []
            kind = kind_of(value)
            if kind is None:
                continue
            kinds[key].add(kind)
            present[key] += 1
            if kind not in (OBJECT, ARRAY):
                values[key].append(value)
    columns: list[Column] = []
    skipped: list[str] = []
    names: set[str] = set(_TAKEN)
    for key in order:
        if not _KEY_NAME.match(key):
            skipped.append(key)
            continue
        name = snake_case(key)
        while name in names or name in _SQL_WORDS:
            name += "_"
        names.add(name)
        seen = values[key]
        unique = bool(seen) and len({str(v) for v in seen}) == len(seen)
        columns.append(
            Column(key, name, merge_kinds(kinds[key]), present[key], len(records), unique)
        )
    return Inference(
        columns=tuple(columns),
        key_candidates=_key_candidates(columns, len(records)),
        cursor_candidates=tuple(
            c.key
            for c in sorted(columns, key=lambda c: _rank(c.key.lower(), _CURSOR_NAMES))
            if c.kind == TIMESTAMP
            and c.present == len(records)
            and c.key.lower().replace("_", "") in {n.replace("_", "") for n in _CURSOR_NAMES}
        ),
        skipped=tuple(skipped),
        samples=len(records),
    )


def _key_candidates(columns: Sequence[Column], samples: int) -> tuple[str, ...]:
    """Fields present and unique in every sample, the likeliest key first."""
    fit = [
        c
        for c in columns
        if c.unique and c.present == samples and c.kind in (INTEGER, TEXT) and samples > 0
    ]

    def score(column: Column) -> tuple[int, int]:
        lowered = column.key.lower()
        if lowered == "id":
            return (0, 0)
        if lowered in ("uuid", "guid", "key", "_id"):
            return (1, 0)
        if lowered.endswith(("_id", "id", "_key", "code")):
            return (2, 0)
        return (3, 0)

    return tuple(c.key for c in sorted(fit, key=score) if score(c)[0] < 3)


def _rank(name: str, preferred: Sequence[str]) -> int:
    squashed = name.replace("_", "")
    for i, candidate in enumerate(preferred):
        if squashed == candidate.replace("_", ""):
            return i
    return len(preferred)
