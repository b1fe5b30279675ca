"""Incremental state: the bookmark of an entity and the cursor tracking of a run.

The rule for the inclusive (``>=``) overlap
-------------------------------------------
The API filter is ``cursor >= bookmark`` so nothing updated at the bookmark instant
is ever missed. That alone would re-extract, on every run, the records sitting
exactly at the bookmark. So the bookmark also keeps the primary keys of the records
committed at exactly its value (``ids``), and a run drops a record only when

    record.cursor == bookmark.value  and  primary_key(record) in bookmark.ids

That record, with that cursor value, is already in a committed file. Everything else
is kept: a record at the bookmark instant with an id not seen yet (arrived late at
the same timestamp), and any record the API serves with a cursor below the bookmark
(an API that ignores the filter is not second-guessed; dbt dedups). Running twice
with no change upstream therefore writes nothing the second time.

Cursor values are compared as the API serves them: numbers numerically, strings
lexicographically, so string cursors must sort in time order (ISO-8601 in one zone
and one format, as the demo API and most APIs serve them).

The bookmark only moves forward, and only after the run's final manifest for the
entity is committed (see `job.py`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from glueflake.config import Incremental
from glueflake.errors import ExtractError
from glueflake.lake.layout import bookmark_key
from glueflake.lake.store import ObjectStore


def _hashable(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Hashable] = set()
    out: list[Any] = []
    for value in values:
        key = _hashable(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


@dataclass(frozen=True)
class Bookmark:
    """Where an entity's incremental extract stands.

    Attributes:
        field: the cursor field (dotted path in a record).
        value: the highest committed cursor value.
        ids: primary keys of the committed records whose cursor equals `value`.
        run_id: the run that set it.
        manifest: key of the final manifest that committed `value`.
        updated_at: when it was written (ISO-8601 UTC).
    """

    field: str
    value: Any
    ids: list[Any] = dataclasses.field(default_factory=list)
    run_id: str = ""
    manifest: str = ""
    updated_at: str = ""

    def to_json(self) -> bytes:
        """The bookmark as stored in the lake."""
        return orjson.dumps(
            {
                "field": self.field,
                "value": self.value,
                "ids": self.ids,
                "run_id": self.run_id,
                "manifest": self.manifest,
                "updated_at": self.updated_at,
            },
            option=orjson.OPT_INDENT_2,
        )


def read_bookmark(store: ObjectStore, source: str, entity: str) -> Bookmark | None:
    """The entity's bookmark, or None before its first committed incremental run."""
    key = bookmark_key(source, entity)
    try:
        raw = orjson.loads(store.get(key))
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError as exc:
        raise ExtractError(f"{source}.{entity}: bookmark {key} is not valid JSON") from exc
    try:
        return Bookmark(
            field=str(raw["field"]),
            value=raw["value"],
            ids=list(raw.get("ids", [])),
            run_id=str(raw.get("run_id", "")),
            manifest=str(raw.get("manifest", "")),
            updated_at=str(raw.get("updated_at", "")),
        )
    except (KeyError, TypeError) as exc:
        raise ExtractError(f"{source}.{entity}: bookmark {key} lacks {exc}") from None


def write_bookmark(store: ObjectStore, source: str, entity: str, bookmark: Bookmark) -> None:
    """Store the entity's bookmark (the one lake object that is overwritten)."""
    store.put(bookmark_key(source, entity), bookmark.to_json(), overwrite=True)


class CursorTracker:
    """Filters and tracks one run's records by their cursor field.

    Feed pages through `filter`; afterwards `advanced` gives the bookmark to store
    once the run is committed.
    """

    def __init__(
        self,
        incremental: Incremental,
        primary_key: str | list[str],
        bookmark: Bookmark | None,
        where: str = "endpoint",
    ) -> None:
        """Track `incremental.cursor_field`, starting from `bookmark` (None = initial)."""
        self.field = incremental.cursor_field
        self.initial = incremental.initial
        self.keys = [primary_key] if isinstance(primary_key, str) else list(primary_key)
        self.bookmark = bookmark if bookmark and bookmark.field == self.field else None
        self.where = where
        self._seen_at_bookmark: set[Hashable] = (
            {_hashable(i) for i in self.bookmark.ids} if self.bookmark else set()
        )
        self.max: Any = None
        self.max_ids: list[Any] = []
        self.dropped = 0

    @property
    def start_value(self) -> str:
        """The value the request's incremental parameter carries."""
        if self.bookmark is None:
            return self.initial
        value = self.bookmark.value
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    @property
    def record_fields(self) -> list[str]:
        """Dotted paths read in every record: the cursor field, then the primary key."""
        return [self.field, *self.keys]

    def filter(self, fields: Mapping[str, list[Any]]) -> tuple[list[bool] | None, list[Any]]:
        """Drop records already committed at the bookmark instant; track the rest.

        Works a page at a time with comprehensions and C builtins (min/max), since
        it runs over every record.

        Args:
            fields: the page's values of `record_fields`, a list each, one value a
                record (`DecodedPage.fields`).

        Returns:
            Which records to keep (None: all of them), and the kept records' cursor
            values in order.
        """
        values = fields[self.field]
        if len(self.keys) == 1:
            pks = fields[self.keys[0]]
        else:
            pks = [list(key) for key in zip(*(fields[k] for k in self.keys), strict=True)]
        keep: list[bool] | None = None
        bm = self.bookmark
        if bm is not None and bm.value in values:
            seen = self._seen_at_bookmark
            keep = [
                not (v == bm.value and _hashable(pk) in seen)
                for v, pk in zip(values, pks, strict=True)
            ]
            self.dropped += keep.count(False)
            values = [v for v, k in zip(values, keep, strict=True) if k]
            pks = [pk for pk, k in zip(pks, keep, strict=True) if k]
        present = [v for v in values if v is not None]
        if present:
            try:
                page_max = max(present)
                if self.max is None or page_max > self.max:
                    self.max, self.max_ids = page_max, []
                if page_max == self.max:
                    self.max_ids += [pk for pk, v in zip(pks, values, strict=True) if v == page_max]
            except TypeError:
                raise ExtractError(
                    f"{self.where}: cursor field {self.field!r} holds values of different types "
                    "that cannot be ordered"
                ) from None
        return keep, values

    def advanced(self, run_id: str, manifest: str, now: datetime | None = None) -> Bookmark | None:
        """The bookmark after this run's records are committed (None: unchanged)."""
        if self.max is None:
            return None
        bm = self.bookmark
        ids = list(self.max_ids)
        if bm is not None:
            try:
                if self.max < bm.value:
                    return None
            except TypeError:
                raise ExtractError(
                    f"{self.where}: cursor field {self.field!r}: this run's latest value "
                    f"{self.max!r} ({type(self.max).__name__}) cannot be compared with the "
                    f"bookmark's {bm.value!r} ({type(bm.value).__name__}); the run's files "
                    "are committed and the bookmark was left as it was"
                ) from None
            if self.max == bm.value:
                ids = list(bm.ids) + ids
        ids = _unique(ids)
        stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        return Bookmark(
            field=self.field,
            value=self.max,
            ids=ids,
            run_id=run_id,
            manifest=manifest,
            updated_at=stamp,
        )
