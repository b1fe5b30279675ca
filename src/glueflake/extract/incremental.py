"""Incremental state: the bookmark of an entity and the cursor tracking of a run.

The rule for the inclusive (``>=``) overlap
-------------------------------------------
The API filter is ``cursor >= bookmark`` so nothing updated at the bookmark instant
is ever missed. That alone would re-extract, on every run, the records sitting
exactly at the bookmark. So the bookmark also keeps the primary keys of the records
committed at exactly its value (``ids``) with a hash of each one's JSON as written
to the lake (``hashes``), and a run drops a record only when

    record.cursor == bookmark.value  and  (primary_key(record), hash(record)) in bookmark

That record, with that cursor value and that content, is already in a committed
file. Everything else is kept: a record at the bookmark instant with an id not seen
yet (arrived late at the same timestamp), one whose content changed without its
cursor moving (updated again within the cursor's precision, a second say), and any
record the API serves with a cursor below the bookmark (an API that ignores the
filter is not second-guessed; dbt dedups). Running twice with no change upstream
therefore writes nothing the second time. A bookmark written before hashes were
kept (an empty hash) matches on the key alone.

Cursor values are compared as the API serves them: numbers numerically, strings
lexicographically, so string cursors must sort in time order (ISO-8601 in one zone
and one format, as the demo API and most APIs serve them).

The bookmark only moves forward, and only after the run's final manifest for the
entity is committed (see `job.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Hashable, Mapping, Sequence
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


def _unique(pairs: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    seen: set[Hashable] = set()
    out: list[tuple[Any, str]] = []
    for pk, digest in pairs:
        key = (_hashable(pk), digest)
        if key not in seen:
            seen.add(key)
            out.append((pk, digest))
    return out


def record_hash(line: bytes | Any) -> str:
    """A short hash of a record's JSON as written to the lake (bytes-like)."""
    return hashlib.blake2b(line, digest_size=8).hexdigest()


@dataclass(frozen=True)
class Bookmark:
    """Where an entity's incremental extract stands.

    Attributes:
        field: the cursor field (dotted path in a record).
        value: the highest committed cursor value.
        ids: primary keys of the committed records whose cursor equals `value`.
        hashes: `record_hash` of each of those records, aligned with `ids` (``""``
            where unknown: a bookmark written before hashes were kept).
        run_id: the run that set it.
        manifest: key of the final manifest that committed `value`.
        updated_at: when it was written (ISO-8601 UTC).
    """

    field: str
    value: Any
    ids: list[Any] = dataclasses.field(default_factory=list)
    hashes: list[str] = dataclasses.field(default_factory=list)
    run_id: str = ""
    manifest: str = ""
    updated_at: str = ""

    def committed(self) -> list[tuple[Any, str]]:
        """``(primary key, hash)`` of each record committed at `value` (hash ``""``: unknown)."""
        return list(
            zip(self.ids, self.hashes + [""] * (len(self.ids) - len(self.hashes)), strict=False)
        )

    def to_json(self) -> bytes:
        """The bookmark as stored in the lake."""
        return orjson.dumps(
            {
                "field": self.field,
                "value": self.value,
                "ids": self.ids,
                "hashes": self.hashes,
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
            hashes=[str(h) for h in raw.get("hashes", [])],
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
        committed = self.bookmark.committed() if self.bookmark else []
        self._seen_versions = {(_hashable(pk), digest) for pk, digest in committed if digest}
        self._seen_keys = {pk for pk, _ in self._seen_versions}
        self._seen_keys_any_content = {_hashable(pk) for pk, digest in committed if not digest}
        self.max: Any = None
        self.max_seen: list[tuple[Any, str]] = []
        """``(primary key, hash)`` of this run's records at `max`."""
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

    def _is_committed(self, pk: Any, line: Any) -> bool:
        """Whether a record at the bookmark instant was committed (hashed only if need be)."""
        key = _hashable(pk)
        return key in self._seen_keys_any_content or (
            key in self._seen_keys and (key, record_hash(line)) in self._seen_versions
        )

    def filter(
        self, fields: Mapping[str, list[Any]], lines: Sequence[Any]
    ) -> tuple[list[bool] | None, list[Any]]:
        """Drop records already committed at the bookmark instant; track the rest.

        Works a page at a time with comprehensions and C builtins (min/max), since
        it runs over every record; only records at the bookmark's or the run's
        highest cursor value are hashed.

        Args:
            fields: the page's values of `record_fields`, a list each, one value a
                record (`DecodedPage.fields`).
            lines: the page's records as written to the lake (`DecodedPage.lines`).

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
            keep = [
                not (v == bm.value and self._is_committed(pk, line))
                for v, pk, line in zip(values, pks, lines, strict=True)
            ]
            self.dropped += keep.count(False)
            values = [v for v, k in zip(values, keep, strict=True) if k]
            pks = [pk for pk, k in zip(pks, keep, strict=True) if k]
            lines = [line for line, k in zip(lines, keep, strict=True) if k]
        present = [v for v in values if v is not None]
        if present:
            try:
                page_max = max(present)
                if self.max is None or page_max > self.max:
                    self.max, self.max_seen = page_max, []
                if page_max == self.max:
                    self.max_seen += [
                        (pk, record_hash(line))
                        for pk, v, line in zip(pks, values, lines, strict=True)
                        if v == page_max
                    ]
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
        committed = list(self.max_seen)
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
                committed = bm.committed() + committed
        committed = _unique(committed)
        stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
        return Bookmark(
            field=self.field,
            value=self.max,
            ids=[pk for pk, _ in committed],
            hashes=[digest for _, digest in committed],
            run_id=run_id,
            manifest=manifest,
            updated_at=stamp,
        )
