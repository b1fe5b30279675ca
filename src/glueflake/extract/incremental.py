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

A record whose cursor cannot be trusted never moves the bookmark: a string that is
not an ISO-8601 timestamp (``2026-13-45``, ``not-a-date``), a timestamp beyond the
run's clock plus `Incremental.max_future_skew` (``2999-01-01``, which would make
every later run ask for the future and find nothing), a value that is neither a
string nor a number, or a record holding its cursor member twice
(readers disagree on which copy counts). Such a record is rejected: left out of
the lake's data files and kept, with the reason, in the run's rejects object, or the
run aborts under ``on_error: abort`` (see `job.py`).

The bookmark only moves forward, and only after the run's final manifest for the
entity is committed (see `job.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True)
class CursorReject:
    """A record left out because its cursor cannot be trusted.

    Attributes:
        index: the record's position in its page (0-based).
        reason: why, naming the field and the value.
        line: the record's JSON as served.
    """

    index: int
    reason: str
    line: bytes


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise _DuplicateMember(name)
        seen[name] = value
    return seen


class _DuplicateMember(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def duplicated_member(line: bytes) -> str | None:
    """The first member name an object in `line` holds twice (None: no duplicate)."""
    try:
        json.loads(line, object_pairs_hook=_no_duplicates)
    except _DuplicateMember as exc:
        return exc.name
    except (ValueError, RecursionError):
        return None  # not this check's business: the record's JSON was read already
    return None


@dataclass(frozen=True)
class PageFilter:
    """One page's incremental decision (`CursorTracker.page_filter`).

    Attributes:
        keep: which records to keep (None: all of them).
        values: the kept records' cursor values, in order.
        rejects: the records left out because their cursor cannot be trusted.
        dropped: records left out as already committed at the bookmark instant.
        top: the highest cursor value among the kept records (None: none).
        top_seen: ``(primary key, record_hash)`` of the kept records at `top`.
    """

    keep: list[bool] | None
    values: list[Any]
    rejects: list[CursorReject]
    dropped: int
    top: Any
    top_seen: list[tuple[Any, str]]


class CursorCheck:
    """Decides whether a cursor value may move the bookmark.

    Args:
        field: the cursor field (for messages).
        clock: the run's clock (a demo source's simulated now, else the real one).
        skew: seconds a timestamp may lie beyond `clock`.
    """

    def __init__(self, field: str, clock: datetime, skew: float, kind: str = "timestamp") -> None:
        """Check values of `field` (of type `kind`) against `clock` + `skew`."""
        self.kind = kind
        self.field = field
        self.clock = clock
        self.skew = skew
        self.limit = clock + timedelta(seconds=skew)

    def problems(self, values: Sequence[Any]) -> dict[int, str]:
        """Why each untrusted value of a page cannot be trusted, by position.

        The usual page (every value an aware ISO-8601 timestamp, none in the future)
        is settled by C builtins, about 0.15 ms for 1,000 values; any other page is
        checked value by value.
        """
        if self.kind == "timestamp":
            try:
                if max(map(datetime.fromisoformat, values), default=self.limit) <= self.limit:
                    return {}
            except (TypeError, ValueError):
                pass
        problems: dict[int, str] = {}
        for i, value in enumerate(values):
            reason = self.problem(value)
            if reason is not None:
                problems[i] = reason
        return problems

    def problem(self, value: Any) -> str | None:
        """Why `value` cannot be trusted as a cursor, or None (None itself: no cursor)."""
        if value is None:
            return None
        if isinstance(value, str):
            return self._text_problem(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return (
                f"cursor field {self.field!r} holds {type(value).__name__} "
                f"{_short(value)}, not a timestamp or a number"
            )
        if isinstance(value, float) and not math.isfinite(value):
            return f"cursor field {self.field!r} holds {value!r}, not a finite number"
        return None

    def _text_problem(self, value: str) -> str | None:
        if self.kind == "text":
            return None
        if self.kind == "number":
            return f"cursor field {self.field!r} holds {_short(value)}, not a number"
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return f"cursor field {self.field!r} holds {_short(value)}, not an ISO-8601 timestamp"
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when > self.limit:
            return (
                f"cursor field {self.field!r} holds {value!r}, beyond the run's clock "
                f"{_iso(self.clock)} plus max_future_skew ({self.skew:g} s)"
            )
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
        clock: datetime | None = None,
    ) -> None:
        """Track `incremental.cursor_field`, starting from `bookmark` (None = initial).

        `clock` is the run's clock (default: now), which no cursor may pass by more
        than `incremental.max_future_skew`.
        """
        self.check = CursorCheck(
            incremental.cursor_field,
            clock or datetime.now(UTC),
            incremental.max_future_skew,
            incremental.cursor_type,
        )
        self.rejects: list[CursorReject] = []
        """The last page's rejected records (see `filter`)."""
        self.rejected = 0
        """Records rejected so far in the run."""
        self.field = incremental.cursor_field
        self.initial = incremental.initial
        self.keys = [primary_key] if isinstance(primary_key, str) else list(primary_key)
        self.bookmark = bookmark if bookmark and bookmark.field == self.field else None
        self.where = where
        # A duplicated cursor member is looked for (see `_untrusted`).
        self._needle = f'"{self.field.rsplit(".", 1)[-1]}"'.encode()
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
        self, fields: Mapping[str, list[Any]], lines: Sequence[Any], content: bytes = b""
    ) -> tuple[list[bool] | None, list[Any]]:
        """Drop records already committed at the bookmark instant; track the rest.

        The same as `absorb` of `page_filter`: the page's decision, then the run's
        tracking, in page order.

        Args:
            fields: the page's values of `record_fields`, a list each, one value a
                record (`DecodedPage.fields`).
            lines: the page's records as written to the lake (`DecodedPage.lines`).
            content: the response body they came from, if known (saves a join).

        Returns:
            Which records to keep (None: all of them), and the kept records' cursor
            values in order.
        """
        page = self.page_filter(fields, lines, content)
        self.absorb(page)
        return page.keep, page.values

    def page_filter(
        self, fields: Mapping[str, list[Any]], lines: Sequence[Any], content: bytes = b""
    ) -> PageFilter:
        """Decide one page on its own: which records to keep, and its highest cursor.

        Reads only what is fixed when the run starts (the bookmark, the clock), so it
        may run in another process; `absorb` then folds the pages into the run, in
        order. Works with comprehensions and C builtins (min/max), since it runs over
        every record; only records at the bookmark's or the page's highest cursor
        value are hashed.

        Args: as `filter`.

        Raises:
            ExtractError: the page's cursor values are of types that cannot be ordered.
        """
        values = fields[self.field]
        if len(self.keys) == 1:
            pks = fields[self.keys[0]]
        else:
            pks = [list(key) for key in zip(*(fields[k] for k in self.keys), strict=True)]
        keep: list[bool] | None = None
        rejects = self._untrusted(values, lines, content)
        if rejects:
            keep = [True] * len(values)
            for reject in rejects:
                keep[reject.index] = False
        dropped = 0
        bm = self.bookmark
        if bm is not None and bm.value in values:
            keep = [
                (keep is None or keep[i]) and not (v == bm.value and self._is_committed(pk, line))
                for i, (v, pk, line) in enumerate(zip(values, pks, lines, strict=True))
            ]
            dropped = keep.count(False) - len(rejects)
        if keep is not None:
            values = [v for v, k in zip(values, keep, strict=True) if k]
            pks = [pk for pk, k in zip(pks, keep, strict=True) if k]
            lines = [line for line, k in zip(lines, keep, strict=True) if k]
        present = [v for v in values if v is not None]
        top: Any = None
        top_seen: list[tuple[Any, str]] = []
        if present:
            try:
                top = max(present)
            except TypeError:
                raise self._unordered() from None
            top_seen = [
                (pk, record_hash(line))
                for pk, v, line in zip(pks, values, lines, strict=True)
                if v == top
            ]
        return PageFilter(
            keep=keep, values=values, rejects=rejects, dropped=dropped, top=top, top_seen=top_seen
        )

    def absorb(self, page: PageFilter) -> None:
        """Fold a page's decision (`page_filter`) into the run; pages in order.

        Raises:
            ExtractError: the page's highest cursor cannot be ordered with the run's.
        """
        self.rejects = page.rejects
        self.rejected += len(page.rejects)
        self.dropped += page.dropped
        if page.top is None:
            return
        try:
            if self.max is None or page.top > self.max:
                self.max, self.max_seen = page.top, []
            if page.top == self.max:
                self.max_seen += page.top_seen
        except TypeError:
            raise self._unordered() from None

    def _unordered(self) -> ExtractError:
        return ExtractError(
            f"{self.where}: cursor field {self.field!r} holds values of different types "
            "that cannot be ordered"
        )

    def _untrusted(
        self, values: Sequence[Any], lines: Sequence[Any], content: bytes
    ) -> list[CursorReject]:
        """The page's records whose cursor may not move the bookmark (see the module doc)."""
        problems = self.check.problems(values)
        # A duplicated cursor member is looked for only where the field's name occurs
        # more often in the page than records hold the field: one scan of the page's
        # bytes (the whole body where known: the envelope's keys only add to the count).
        page = content if content else b"\n".join(lines)
        if page.count(self._needle) > sum(v is not None for v in values):
            for i, line in enumerate(lines):
                raw = bytes(line)
                if i not in problems and raw.count(self._needle) > 1:
                    name = duplicated_member(raw)
                    if name is not None:
                        problems[i] = f"the record holds JSON member {name!r} twice"
        return [
            CursorReject(index=i, reason=problems[i], line=bytes(lines[i]))
            for i in sorted(problems)
        ]

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
