"""Page decoding: the fast way (records as the API's bytes) against the general way."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from glueflake.errors import ExtractError
from glueflake.extract.decode import BodyNotJSON, PageDecoder

RECORDS: list[Any] = [
    {"id": 1, "updated_at": "2026-01-02", "m": {"v": 3}, "items": [{"q": 1}]},
    {"id": 2, "updated_at": None, "m": None, "s": 'a\nb},{"x":1}'},
    {"id": 3, "m": {"v": "x"}, "f": 1.5},
    {"id": "é", "updated_at": "2026-01-03", "m": {"w": 1}},
]

SHAPES: list[tuple[str, list[str], list[str], Any]] = [
    ("data", [], [], {"data": RECORDS[:2]}),
    ("data", ["updated_at", "id"], [], {"data": RECORDS}),
    ("data", ["m.v", "id"], ["meta.next", "total"], {"data": RECORDS, "meta": {"next": "c"}}),
    ("data", ["m.v"], ["meta.next"], {"data": RECORDS, "meta": None}),
    ("result.items", ["id"], ["result.next", "x"], {"result": {"items": RECORDS, "next": 5}}),
    ("", ["id"], [], RECORDS),
    ("data", ["items.0.q"], [], {"data": RECORDS}),  # a list index: the general way
    ("data", ["id"], [], {"data": [1, "x", [2]]}),  # records that are not objects
    ("data", ["m"], [], {"data": RECORDS}),  # a whole object as a field
]


@pytest.mark.parametrize(("records_path", "record_fields", "body_fields", "body"), SHAPES)
def test_the_fast_way_reads_what_the_general_way_reads(
    records_path: str, record_fields: list[str], body_fields: list[str], body: Any
) -> None:
    decode = PageDecoder(records_path, record_fields=record_fields, body_fields=body_fields)
    content = orjson.dumps(body)
    fast, general = decode(content), decode._general(content)
    assert [bytes(line) for line in fast.lines] == general.lines
    assert fast.fields == general.fields
    assert fast.body == general.body
    assert fast.ndjson() == b"".join(line + b"\n" for line in general.lines)


def test_lines_are_the_records_as_the_api_sent_them() -> None:
    content = b'{"data": [{"id": 1, "v": 1.10, "s": "\\u00e9"}, {"id": 2}], "n": null}'
    page = PageDecoder("data", record_fields=["id"])(content)
    assert page.ndjson() == b'{"id": 1, "v": 1.10, "s": "\\u00e9"}\n{"id": 2}\n'
    assert page.fields == {"id": [1, 2]}
    assert page.ndjson([False, True]) == b'{"id": 2}\n'
    assert page.ndjson([False, False]) == b""


def test_integers_beyond_64_bits_are_kept_as_sent() -> None:
    content = b'{"data": [{"id": 123456789012345678901234567890}]}'
    page = PageDecoder("data", record_fields=["id"])(content)
    assert page.ndjson() == b'{"id": 123456789012345678901234567890}\n'
    assert page.fields == {"id": [123456789012345678901234567890]}


def test_a_pretty_printed_body_is_written_one_record_a_line() -> None:
    content = orjson.dumps({"data": RECORDS}, option=orjson.OPT_INDENT_2)
    page = PageDecoder("data", record_fields=["id"])(content)
    assert page.ndjson().splitlines() == [orjson.dumps(r) for r in RECORDS]


@pytest.mark.parametrize(
    ("content", "error", "match"),
    [
        (b'{"data": [{"id": "\xff"}]}', BodyNotJSON, "UTF-8"),
        (b"<html>", BodyNotJSON, "unexpected character"),
        (b'{"data": [{"id": 1},]}', BodyNotJSON, "trailing comma"),
        (b'{"other": []}', ExtractError, "records path 'data', got nothing"),
        (b'{"data": {"id": 1}}', ExtractError, "records path 'data', got dict"),
    ],
)
def test_bad_bodies_are_named(content: bytes, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        PageDecoder("data", record_fields=["id"], where="api.items")(content)
