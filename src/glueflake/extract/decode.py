"""Decoding a page body: each record's JSON text, plus the few values the run reads.

A run never needs a record as Python objects: it writes the record's JSON to the
lake and reads at most a cursor and a primary key from it (and, for cursor
pagination, one value of the body). So a page is decoded with msgspec into typed
structs built from those dotted paths: the record list as `msgspec.Raw` (each
record's own bytes, nothing built) and the named fields as values. That is about
six times cheaper than building every record as dicts and serializing it again,
and it is the extract's main cost after the network.

Each lake line is then the record exactly as the API sent it. Where the fast way
does not apply, the page goes the general way (orjson: parse everything, select by
path, serialize each record compactly), which is also the reference for what every
value means (`get_path` semantics) and for every error message:
- a body holding a line break (pretty-printed JSON) or not valid UTF-8,
- a body that does not have the expected shape (no list at the records path, a
  record that is not an object, an intermediate value of another type),
- a path with a list index step (``items.0.id``), which structs cannot express,
- a body that is not JSON (orjson then names the error).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson

from glueflake.extract.records import get_path, select_records


class BodyNotJSON(ValueError):
    """The response body is not JSON (the message says why)."""


@dataclass(frozen=True)
class DecodedPage:
    """One page's records and the values read from it.

    Attributes:
        lines: each record's compact JSON text, in order (bytes-like).
        fields: per record field path asked for, its value in every record (None
            where a record lacks it), aligned with `lines`.
        body: per body field path asked for, its value (None where missing).
        content: the response body the page was decoded from.
    """

    lines: Sequence[bytes | msgspec.Raw]
    fields: dict[str, list[Any]]
    body: dict[str, Any]
    content: bytes = b""

    def __len__(self) -> int:
        """How many records the page holds."""
        return len(self.lines)

    def ndjson(self, keep: Sequence[bool] | None = None) -> bytes:
        """The records (those where `keep` is true) as NDJSON, each line newline-ended."""
        lines = (
            self.lines
            if keep is None
            else [ln for ln, k in zip(self.lines, keep, strict=True) if k]
        )
        return b"\n".join(lines) + b"\n" if lines else b""


_RECORDS = "records"
"""Tree leaf: the record list."""
_VALUE = "value"
"""Tree leaf: a value to read."""

_Tree = dict[str, "_Tree | str"]
"""Dotted paths as a tree of steps, each ending in a leaf (`_RECORDS` or `_VALUE`)."""


def _add(tree: _Tree, path: str, leaf: str) -> bool:
    """Put `path` into `tree`; False where a struct can't read it (list index, clash)."""
    steps = path.split(".")
    if any(step.isdigit() or not step for step in steps):
        return False
    node = tree
    for step in steps[:-1]:
        child = node.setdefault(step, {})
        if not isinstance(child, dict):
            return False  # it runs through a value or the record list
        node = child
    if steps[-1] in node:
        return False  # the records list is also a value read, or a prefix of one
    node[steps[-1]] = leaf
    return True


def _tree(paths: Iterable[str], records_path: str | None = None) -> _Tree | None:
    """The paths (and the records path) as one tree, or None where structs can't read it."""
    tree: _Tree = {}
    if records_path and not _add(tree, records_path, _RECORDS):
        return None
    if all(_add(tree, path, _VALUE) for path in paths):
        return tree
    return None


def _holds_records(tree: _Tree) -> bool:
    return any(c == _RECORDS or (isinstance(c, dict) and _holds_records(c)) for c in tree.values())


def _struct(tree: _Tree, records: Any = None) -> Any:
    """A struct type reading `tree`: the records list required, anything else optional.

    Fields are named ``f0, f1...`` in tree order (renamed to the JSON keys), so any
    key works, and `_attrs` finds them again by position. Decoded JSON holds no
    reference cycles, so the structs stay out of the garbage collector (``gc=False``:
    about a tenth off the fields' decode, a thousand structs a page).
    """
    fields: list[Any] = []
    for i, (_, child) in enumerate(tree.items()):
        if child == _RECORDS:
            fields.append((f"f{i}", records))
        elif child == _VALUE:
            fields.append((f"f{i}", Any, None))
        elif isinstance(child, dict) and _holds_records(child):
            fields.append((f"f{i}", _struct(child, records)))
        else:
            assert isinstance(child, dict)
            fields.append((f"f{i}", _struct(child) | None, None))
    rename = {f"f{i}": step for i, step in enumerate(tree)}
    return msgspec.defstruct("Node", fields, rename=rename, kw_only=True, gc=False)


def _attrs(tree: _Tree, path: str) -> list[str]:
    """The struct attribute names leading to `path` in `tree` (see `_struct`)."""
    names: list[str] = []
    node: Any = tree
    for step in path.split("."):
        names.append(f"f{list(node).index(step)}")
        node = node[step]
    return names


def _getter(names: list[str]) -> Callable[[Any], Any]:
    """Reads a value through nested optional structs (None where a level is missing)."""
    if len(names) == 1:
        return operator.attrgetter(names[0])

    def get(value: Any) -> Any:
        for name in names:
            if value is None:
                return None
            value = getattr(value, name)
        return value

    return get


class PageDecoder:
    """Decodes the pages of one endpoint (thread-safe: it keeps no state per page)."""

    def __init__(
        self,
        records_path: str,
        *,
        record_fields: Sequence[str] = (),
        body_fields: Sequence[str] = (),
        where: str = "endpoint",
    ) -> None:
        """Decode records at `records_path`, reading `record_fields` and `body_fields`.

        Args:
            records_path: dotted path of the record list (``''``: the body is the list).
            record_fields: dotted paths read in every record (cursor, primary key).
            body_fields: dotted paths read in the body (a pagination cursor).
            where: ``source.entity`` for error messages.
        """
        self.records_path = records_path
        self.record_fields = list(dict.fromkeys(record_fields))
        self.body_fields = list(dict.fromkeys(body_fields))
        self.where = where
        self._raw: msgspec.json.Decoder[Any] | None = None
        self._fields: msgspec.json.Decoder[Any] | None = None
        body_tree = _tree(self.body_fields, records_path)
        record_tree = _tree(self.record_fields)
        if body_tree is None or record_tree is None or (not records_path and self.body_fields):
            return  # the general way reads these
        self._raw = msgspec.json.Decoder(self._envelope(body_tree, list[msgspec.Raw]))
        self._body = {p: _getter(_attrs(body_tree, p)) for p in self.body_fields}
        self._records = _getter(_attrs(body_tree, records_path)) if records_path else None
        if self.record_fields:
            # The records path goes into a tree first, so it is ``f0`` at every level
            # of both envelopes and `self._records` reads the fields' envelope too.
            bare = _tree((), records_path)
            assert bare is not None
            record = _struct(record_tree)
            self._fields = msgspec.json.Decoder(self._envelope(bare, list[record]))  # type: ignore[valid-type]
            self._record = {p: _getter(_attrs(record_tree, p)) for p in self.record_fields}

    def _envelope(self, tree: _Tree, records: Any) -> Any:
        return _struct(tree, records) if self.records_path else records

    def __call__(self, content: bytes) -> DecodedPage:
        """Decode one response body.

        Raises:
            BodyNotJSON: the body is not JSON.
            ExtractError: there is no list of records at the records path.
        """
        if self._raw is not None and b"\n" not in content and b"\r" not in content:
            try:
                if not content.isascii():
                    content.decode("utf-8")  # Raw does not check UTF-8; the lake must hold it
                return self._fast(content)
            except (msgspec.MsgspecError, UnicodeDecodeError, RecursionError):
                pass  # the general way decides, and names any error (too deep, too)
        return self._general(content)

    def _fast(self, content: bytes) -> DecodedPage:
        assert self._raw is not None
        decoded = self._raw.decode(content)
        lines = self._records(decoded) if self._records else decoded
        fields: dict[str, list[Any]] = {}
        if self._fields is not None:
            records = self._fields.decode(content)
            if self._records:
                records = self._records(records)
            fields = {p: list(map(get, records)) for p, get in self._record.items()}
        return DecodedPage(
            lines=lines,
            fields=fields,
            body={p: get(decoded) for p, get in self._body.items()},
            content=content,
        )

    def _general(self, content: bytes) -> DecodedPage:
        try:
            parsed = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            if "depth limit" in exc.msg:
                raise BodyNotJSON(
                    f"nested deeper than JSON readers allow: {exc.msg}, line {exc.lineno} "
                    f"column {exc.colno}"
                ) from None
            raise BodyNotJSON(exc.msg) from None
        records = select_records(parsed, self.records_path, self.where)
        return DecodedPage(
            lines=[orjson.dumps(r) for r in records],
            fields={p: [get_path(r, p) for r in records] for p in self.record_fields},
            body={p: get_path(parsed, p) for p in self.body_fields},
            content=content,
        )
