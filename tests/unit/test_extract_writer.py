"""The batch writer: gzip NDJSON files, rolling, one manifest per file, deferred payloads."""

from __future__ import annotations

import gzip
import hashlib
from datetime import date
from pathlib import Path

import orjson
import pytest

from glueflake.extract.writer import BatchWriter
from glueflake.lake import LocalStore, ObjectInfo, list_manifests, parse_data_key


def _lines(start: int, stop: int) -> list[bytes]:
    return [orjson.dumps({"id": i}) + b"\n" for i in range(start, stop)]


def _ndjson(records: list[dict[str, int]]) -> bytes:
    return b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)


def _writer(store: LocalStore, **kw: object) -> BatchWriter:
    return BatchWriter(
        store,
        source="s",
        entity="e",
        run_id="20261128T000000Z-abcdef",
        ingest_date=date(2026, 11, 28),
        max_records=10,
        **kw,  # type: ignore[arg-type]
    )


def test_rolls_files_and_commits_each_with_a_manifest(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store, cursor_field="id")
    writer.add(_lines(0, 7), list(range(0, 7)))
    writer.add(_lines(7, 25), list(range(7, 25)))
    final = writer.finish()
    assert final is not None and final.final
    manifests = list(list_manifests(store, "s", "e"))
    assert [m.seq for m in manifests] == [1, 2, 3]
    assert [m.final for m in manifests] == [False, False, True]
    assert [m.records for m in manifests] == [10, 10, 5]
    assert [(m.cursor.min, m.cursor.max) for m in manifests if m.cursor] == [
        ("0", "9"),
        ("10", "19"),
        ("20", "24"),
    ]
    ids: list[int] = []
    for m in manifests:
        (f,) = m.files
        data = store.get(f.key)
        assert f.bytes == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        info = store.head(f.key)
        assert info is not None and f.etag == info.etag
        parsed = parse_data_key(f.key)
        assert parsed is not None and parsed.seq == m.seq
        ids += [orjson.loads(line)["id"] for line in gzip.decompress(data).splitlines()]
    assert ids == list(range(25))
    assert (writer.files, writer.records) == (3, 25)


def test_exactly_full_last_file_is_final(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store)
    writer.add(_lines(0, 20))
    writer.finish()
    manifests = list(list_manifests(store, "s", "e"))
    assert [(m.records, m.final) for m in manifests] == [(10, False), (10, True)]
    assert manifests[0].cursor is None


def test_no_records_writes_nothing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store)
    writer.add([])
    assert writer.finish() is None
    assert list(store.list("")) == []


def test_deferred_payload_unchanged_is_not_written(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    first = _writer(store, defer=True)
    first.add(_lines(0, 15))
    committed = first.finish()
    assert committed is not None and committed.payload_sha256 == first.payload_sha256
    assert len(list(list_manifests(store, "s", "e"))) == 2

    again = BatchWriter(
        store,
        source="s",
        entity="e",
        run_id="20261129T000000Z-abcdef",
        ingest_date=date(2026, 11, 29),
        max_records=10,
        defer=True,
    )
    again.add(_lines(0, 15))
    assert again.finish(skip_if_payload=committed.payload_sha256) is None
    assert len(list(list_manifests(store, "s", "e"))) == 2
    assert not any("20261129" in i.key for i in store.list("raw/"))


def test_deferred_payload_that_changed_is_written(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store, defer=True)
    writer.add(_lines(0, 3))
    manifest = writer.finish(skip_if_payload="0" * 64)
    assert manifest is not None and manifest.records == 3


def test_blocks_straddling_files_split_on_record_boundaries(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store, cursor_field="id")
    for start in (0, 13):
        records = [{"id": i} for i in range(start, start + 13)]
        writer.add_block(_ndjson(records), len(records), [r["id"] for r in records])
    writer.finish()
    manifests = list(list_manifests(store, "s", "e"))
    assert [m.records for m in manifests] == [10, 10, 6]
    assert [(m.cursor.min, m.cursor.max) for m in manifests if m.cursor] == [
        ("0", "9"),
        ("10", "19"),
        ("20", "25"),
    ]
    ids = [
        orjson.loads(line)["id"]
        for m in manifests
        for line in gzip.decompress(store.get(m.files[0].key)).splitlines()
    ]
    assert ids == list(range(26))


class _FailingStore(LocalStore):
    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> ObjectInfo:
        if key.endswith(".ndjson.gz") and "-00002" in key:
            raise OSError("disk full")
        return super().put(key, data, overwrite=overwrite)


def test_a_writer_thread_error_reaches_the_caller(tmp_path: Path) -> None:
    store = _FailingStore(tmp_path)
    writer = _writer(store)
    with pytest.raises(OSError, match="disk full"):
        for start in range(0, 200, 5):
            writer.add(_lines(start, start + 5))
        writer.finish()
    writer.discard()
    # the file completed before the failure is committed, nothing after it
    assert [m.seq for m in list_manifests(store, "s", "e")] == [1]


def test_discard_commits_completed_files_and_drops_the_one_in_progress(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    writer = _writer(store)
    writer.add(_lines(0, 15))
    writer.discard()
    manifests = list(list_manifests(store, "s", "e"))
    assert [(m.seq, m.records, m.final) for m in manifests] == [(1, 10, False)]
    assert len(list(store.list("raw/s/e/ingest_date="))) == 1
