"""The incremental overlap rule and bookmark storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from glueflake.config import Incremental
from glueflake.errors import ExtractError
from glueflake.extract.incremental import (
    Bookmark,
    CursorTracker,
    read_bookmark,
    record_hash,
    write_bookmark,
)
from glueflake.extract.records import get_path
from glueflake.lake import LocalStore, bookmark_key

INC = Incremental(
    cursor_field="updated_at", param="since", initial="2020-01-01", cursor_type="text"
)


def _rec(i: int, ts: str) -> dict[str, object]:
    return {"id": i, "updated_at": ts}


def _filter(tracker: CursorTracker, records: list[Any]) -> tuple[list[Any], list[Any]]:
    """Feed a page as the job does (the fields the tracker reads); the kept records."""
    fields = {p: [get_path(r, p) for r in records] for p in tracker.record_fields}
    keep, cursors = tracker.filter(fields, [orjson.dumps(r) for r in records])
    kept = records if keep is None else [r for r, k in zip(records, keep, strict=True) if k]
    return kept, cursors


def test_first_run_starts_from_initial_and_tracks_max_ids() -> None:
    tracker = CursorTracker(INC, "id", None)
    assert tracker.start_value == "2020-01-01"
    kept, cursors = _filter(tracker, [_rec(1, "b"), _rec(2, "c"), _rec(3, "a"), _rec(4, "c")])
    assert [r["id"] for r in kept] == [1, 2, 3, 4]
    assert cursors == ["b", "c", "a", "c"]
    bm = tracker.advanced("run1", "m1")
    assert bm is not None
    assert (bm.value, bm.ids, bm.run_id, bm.manifest) == ("c", [2, 4], "run1", "m1")


def test_records_committed_at_the_bookmark_instant_are_dropped() -> None:
    bm = Bookmark(field="updated_at", value="c", ids=[2, 4])
    tracker = CursorTracker(INC, "id", bm)
    assert tracker.start_value == "c"
    kept, _ = _filter(tracker, [_rec(2, "c"), _rec(4, "c"), _rec(5, "c"), _rec(2, "d")])
    # 2 and 4 at "c" were committed; 5 at "c" is new; 2 at "d" is a newer version.
    assert [(r["id"], r["updated_at"]) for r in kept] == [(5, "c"), (2, "d")]
    assert tracker.dropped == 2
    after = tracker.advanced("run2", "m2")
    assert after is not None
    assert (after.value, after.ids) == ("d", [2])


def test_new_ids_at_the_same_instant_extend_the_bookmark() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="updated_at", value="c", ids=[2]))
    _filter(tracker, [_rec(2, "c"), _rec(7, "c")])
    after = tracker.advanced("r", "m")
    assert after is not None
    assert (after.value, after.ids) == ("c", [2, 7])


def _committed_run(records: list[Any]) -> Bookmark:
    """The bookmark a first run over `records` leaves (ids and hashes)."""
    tracker = CursorTracker(INC, "id", None)
    _filter(tracker, records)
    bm = tracker.advanced("r1", "m1")
    assert bm is not None
    return bm


def test_the_bookmark_keeps_a_hash_of_each_record_at_its_instant() -> None:
    bm = _committed_run([_rec(1, "b"), _rec(2, "c"), _rec(4, "c")])
    assert bm.ids == [2, 4]
    assert bm.hashes == [record_hash(orjson.dumps(_rec(i, "c"))) for i in (2, 4)]
    assert Bookmark(field="f", value="v", ids=[1, 2], hashes=["h"]).committed() == [
        (1, "h"),
        (2, ""),
    ]


def test_a_record_changed_without_its_cursor_moving_is_kept() -> None:
    # Updated twice within the cursor's precision (one second): same id, same cursor.
    bm = _committed_run([_rec(2, "c"), {"id": 4, "updated_at": "c", "status": "placed"}])
    tracker = CursorTracker(INC, "id", bm)
    paid = {"id": 4, "updated_at": "c", "status": "paid"}
    kept, _ = _filter(tracker, [_rec(2, "c"), paid])
    assert kept == [paid] and tracker.dropped == 1
    after = tracker.advanced("r2", "m2")
    assert after is not None and after.ids == [2, 4, 4]
    # Both versions of 4 are committed now: the next run drops them all.
    again = CursorTracker(INC, "id", after)
    kept, _ = _filter(again, [_rec(2, "c"), paid])
    assert kept == [] and again.advanced("r3", "m3") is None


def test_a_bookmark_without_hashes_matches_on_the_key_alone() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="updated_at", value="c", ids=[4]))
    kept, _ = _filter(tracker, [{"id": 4, "updated_at": "c", "status": "paid"}])
    assert kept == [] and tracker.dropped == 1


def test_nothing_new_leaves_the_bookmark_alone() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="updated_at", value="c", ids=[2, 4]))
    kept, _ = _filter(tracker, [_rec(2, "c"), _rec(4, "c")])
    assert kept == []
    assert tracker.advanced("r", "m") is None


def test_a_cursor_whose_type_changed_since_the_bookmark_is_named() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="updated_at", value="c", ids=[1]), "shop.x")
    _filter(tracker, [{"id": 2, "updated_at": 17}])
    with pytest.raises(
        ExtractError, match=r"shop.x: cursor field 'updated_at'.*17 \(int\).*'c' \(str\)"
    ):
        tracker.advanced("r", "m")


def test_records_below_the_bookmark_are_kept_but_never_move_it_back() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="updated_at", value="c", ids=[1]))
    kept, _ = _filter(tracker, [_rec(9, "a")])
    assert len(kept) == 1
    assert tracker.advanced("r", "m") is None


def test_composite_keys_and_numeric_cursors() -> None:
    inc = Incremental(cursor_field="meta.version", param="v", initial="0")
    tracker = CursorTracker(
        inc, ["a", "b"], Bookmark(field="meta.version", value=7, ids=[[1, "x"]])
    )
    assert tracker.start_value == "7"
    _, cursors = _filter(
        tracker,
        [
            {"a": 1, "b": "x", "meta": {"version": 7}},
            {"a": 1, "b": "y", "meta": {"version": 7}},
            {"a": 2, "b": "x", "meta": {"version": 10}},
        ],
    )
    assert cursors == [7, 10]
    after = tracker.advanced("r", "m")
    assert after is not None
    assert (after.value, after.ids) == (10, [[2, "x"]])


def test_a_bookmark_for_another_field_is_ignored() -> None:
    tracker = CursorTracker(INC, "id", Bookmark(field="created_at", value="z", ids=[1]))
    assert tracker.start_value == "2020-01-01"


def test_bookmark_round_trip_in_the_lake(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert read_bookmark(store, "s", "e") is None
    bm = Bookmark(field="f", value="v", ids=[1, [2, "x"]], run_id="r", manifest="m", updated_at="t")
    write_bookmark(store, "s", "e", bm)
    write_bookmark(store, "s", "e", bm)  # overwritten, not write-once
    assert read_bookmark(store, "s", "e") == bm
    assert store.head(bookmark_key("s", "e")) is not None
