"""What the extract worker processes rest on: chunked gzip files, the page/run split
of the incremental rule, and how many workers ``extract.workers`` starts."""

from __future__ import annotations

import gzip
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from glueflake.config import Endpoint, Incremental, PipelineConfig
from glueflake.extract.incremental import Bookmark, CursorTracker, record_hash
from glueflake.extract.workers import resolve_workers, workers_apply
from glueflake.extract.writer import BatchWriter, compress_chunk, inflate_chunk
from glueflake.lake import LocalStore, list_manifests

INC = Incremental(cursor_field="ts", param="since", initial="0", cursor_type="number")


def _block(start: int, stop: int) -> tuple[bytes, list[int]]:
    ids = list(range(start, stop))
    return b"".join(orjson.dumps({"id": i, "ts": i // 3}) + b"\n" for i in ids), [
        i // 3 for i in ids
    ]


def _files(tmp_path: Path, name: str, pages: list[tuple[int, int]], chunks: bool) -> Any:
    store = LocalStore(tmp_path / name)
    writer = BatchWriter(
        store,
        source="s",
        entity="e",
        run_id="20261203T000000Z-abcdef",
        ingest_date=date(2026, 12, 3),
        max_records=25,
        cursor_field="ts",
    )
    for start, stop in pages:
        block, cursors = _block(start, stop)
        if chunks:
            writer.add_chunk(compress_chunk(block), stop - start, cursors)
        else:
            writer.add_block(block, stop - start, cursors)
    writer.finish()
    manifests = list(list_manifests(store, "s", "e"))
    return [(m.records, m.cursor, [store.get(f.key) for f in m.files]) for m in manifests]


# Pages of uneven sizes: some fill a file exactly, some straddle one or two boundaries.
PAGES = [(0, 10), (10, 25), (25, 30), (30, 90), (90, 90), (90, 101)]


def test_chunks_make_the_same_files_as_blocks(tmp_path: Path) -> None:
    """A page compressed elsewhere (a worker) lands byte for byte as one compressed here."""
    by_block = _files(tmp_path, "block", PAGES, chunks=False)
    by_chunk = _files(tmp_path, "chunk", PAGES, chunks=True)
    assert by_chunk == by_block
    assert [records for records, _, _ in by_block] == [25, 25, 25, 25, 1]
    everything = b"".join(gzip.decompress(f) for _, _, files in by_block for f in files)
    assert everything == _block(0, 101)[0]


def test_a_file_is_one_plain_gzip_stream(tmp_path: Path) -> None:
    """Readers that stop after the first gzip member (some do) still read every record."""
    (_, _, (data,)), *_ = _files(tmp_path, "one", [(0, 5), (5, 12), (12, 20)], chunks=True)
    reader = zlib.decompressobj(31)
    assert reader.decompress(data) == _block(0, 20)[0]
    assert reader.eof and reader.unused_data == b""


def test_a_chunk_inflates_to_its_block() -> None:
    block, _ = _block(0, 50)
    chunk = compress_chunk(block)
    assert inflate_chunk(chunk) == block
    assert chunk.size == len(block) and chunk.crc == zlib.crc32(block)


def _fields(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {"ts": [r.get("ts") for r in records], "id": [r["id"] for r in records]}


def test_pages_decided_apart_and_folded_in_order_track_as_one_run() -> None:
    """The worker's page decision + the parent's fold == the in-process filter."""
    pages = [
        [{"id": 1, "ts": 5}, {"id": 2, "ts": 7}],
        [{"id": 3, "ts": 7}, {"id": 4, "ts": "x"}, {"id": 5, "ts": 2}],  # "x": rejected
        [{"id": 6, "ts": 7}, {"id": 7, "ts": 6}],
        [],
    ]
    bookmark = Bookmark(field="ts", value=5, ids=[1], hashes=[record_hash(b'{"id":1,"ts":5}')])
    inline = CursorTracker(INC, "id", bookmark)
    apart = CursorTracker(INC, "id", bookmark)
    decided = [
        apart.page_filter(_fields(p), [orjson.dumps(r) for r in p]) for p in reversed(pages)
    ][::-1]  # decided in any order, as workers finish
    for page, decision in zip(pages, decided, strict=True):
        keep, cursors = inline.filter(_fields(page), [orjson.dumps(r) for r in page])
        apart.absorb(decision)
        assert (decision.keep, decision.values) == (keep, cursors)
        assert [r.index for r in apart.rejects] == [r.index for r in inline.rejects]
    for attr in ("max", "max_seen", "dropped", "rejected"):
        assert getattr(apart, attr) == getattr(inline, attr), attr
    assert apart.max == 7 and [pk for pk, _ in apart.max_seen] == [2, 3, 6]
    assert (apart.dropped, apart.rejected) == (1, 1)


@pytest.mark.parametrize(
    ("setting", "cpus", "expected"),
    [
        ("auto", 1, 0),
        ("auto", 2, 0),
        ("auto", 3, 0),
        ("auto", 4, 3),
        ("auto", 64, 4),
        (0, 64, 0),
        (2, 1, 2),
    ],
)
def test_how_many_workers(setting: Any, cpus: int, expected: int) -> None:
    """auto: none on small machines (2 cores measured no gain), else CPUs - 1, at most 4."""
    assert resolve_workers(setting, cpus) == expected


def test_the_setting_is_typed_and_named_in_errors() -> None:
    endpoints = {"e": {"path": "/e", "primary_key": "id"}}
    base = {"sources": {"s": {"base_url": "http://127.0.0.1:1", "endpoints": endpoints}}}
    assert PipelineConfig.model_validate(base).extract.workers == "auto"
    assert PipelineConfig.model_validate({**base, "extract": {"workers": 3}}).extract.workers == 3
    with pytest.raises(ValueError, match="workers"):
        PipelineConfig.model_validate({**base, "extract": {"workers": "many"}})


def test_full_refresh_and_single_pages_stay_in_process() -> None:
    paged = {"type": "page_number", "page_size": 10}
    assert workers_apply(Endpoint(path="/a", primary_key="id", pagination=paged))  # type: ignore[arg-type]
    assert not workers_apply(Endpoint(path="/a", primary_key="id"))
    assert not workers_apply(
        Endpoint(path="/a", primary_key="id", pagination=paged, write_disposition="replace")  # type: ignore[arg-type]
    )
