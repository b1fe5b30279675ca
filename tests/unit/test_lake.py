"""The local lake: write-once puts, overwrite only when asked, and the key layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from glueflake.errors import LakeError
from glueflake.lake import (
    LocalStore,
    Manifest,
    ManifestFile,
    ObjectExistsError,
    bookmark_key,
    data_key,
    latest_manifest,
    manifest_key,
    new_run_id,
    parse_data_key,
    read_manifest,
    write_manifest,
)


def test_put_is_write_once(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    info = store.put("raw/a/b/x.ndjson.gz", b"one")
    assert info.size == 3
    with pytest.raises(ObjectExistsError):
        store.put("raw/a/b/x.ndjson.gz", b"two")
    assert store.get("raw/a/b/x.ndjson.gz") == b"one"


def test_overwrite_replaces_and_changes_etag(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    first = store.put("_state/k.json", b"1", overwrite=True)
    second = store.put("_state/k.json", b"22", overwrite=True)
    assert store.get("_state/k.json") == b"22"
    assert first.etag != second.etag


def test_list_is_sorted_and_skips_temporaries(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in ("p/b", "p/a", "p/c/d", "q/x"):
        store.put(key, b".")
    (tmp_path / "p" / ".tmp-junk.part").write_bytes(b"x")
    assert [i.key for i in store.list("p/")] == ["p/a", "p/b", "p/c/d"]
    assert store.head("p/zz") is None
    with pytest.raises(FileNotFoundError):
        store.get("p/zz")


def test_key_leaving_the_root_is_refused(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "lake")
    with pytest.raises(ValueError, match="leaves the lake root"):
        store.put("../escape", b"x")


def test_layout_keys() -> None:
    run = "20261128T101500Z-3fa2c1"
    key = data_key("shop", "orders", date(2026, 11, 28), run, 7)
    assert key == f"raw/shop/orders/ingest_date=2026-11-28/{run}-00007.ndjson.gz"
    parsed = parse_data_key(key)
    assert parsed is not None
    assert (parsed.source, parsed.entity, parsed.run_id, parsed.seq) == ("shop", "orders", run, 7)
    assert manifest_key("shop", "orders", run, 7) == f"raw/shop/orders/_manifests/{run}-00007.json"
    assert bookmark_key("shop", "orders") == "_state/bookmarks/shop/orders.json"
    assert parse_data_key("raw/shop/orders/_manifests/x.json") is None


def test_run_ids_sort_by_time() -> None:
    from datetime import UTC, datetime

    early = new_run_id(datetime(2026, 1, 1, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 2, tzinfo=UTC))
    assert early < late
    # Within one second too (two quick runs; their files break dbt's ties).
    first = new_run_id(datetime(2026, 1, 1, 12, 0, 0, 900_000, tzinfo=UTC))
    second = new_run_id(datetime(2026, 1, 1, 12, 0, 0, 901_000, tzinfo=UTC))
    assert first.startswith("20260101T120000.900Z-") and first < second


def test_an_unreadable_manifest_is_a_lake_error_naming_its_key(tmp_path: Path) -> None:
    # The extract reads the latest manifest (an unchanged full refresh), the loader
    # every one: both must name the bad object, not print pydantic's traceback.
    store = LocalStore(tmp_path)
    key = "raw/s/e/_manifests/20260101T000000.000Z-aaaaaa-00001.json"
    store.put(key, b'{"source": "s"')
    for read in (lambda: latest_manifest(store, "s", "e"), lambda: read_manifest(store, key)):
        with pytest.raises(LakeError, match=f"^{key}: not a readable manifest"):
            read()


def test_latest_manifest_is_the_newest(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert latest_manifest(store, "s", "e") is None
    for run in ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"):
        file = ManifestFile(key=f"raw/s/e/{run}", records=1, bytes=1, sha256="0", etag="e")
        write_manifest(
            store, Manifest(source="s", entity="e", run_id=run, seq=1, files=[file], records=1)
        )
    latest = latest_manifest(store, "s", "e")
    assert latest is not None
    assert latest.run_id == "20260102T000000Z-bbbbbb"
    with pytest.raises(ObjectExistsError):
        write_manifest(store, latest)
