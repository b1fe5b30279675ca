"""Unit tests of the loader's pure parts: discovery, gzip line reading, reject reasons."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from glueflake.lake import Manifest, ManifestFile, ObjectInfo
from glueflake.load.discover import (
    CommittedFile,
    LedgerEntry,
    classify,
    committed_files,
)
from glueflake.load.duckdb.gzip_lines import split_lines
from glueflake.load.duckdb.reasons import first_error_text, reject_reason
from glueflake.load.summary import EntityLoadResult, LoadSummary
from glueflake.load.types import FileStatus

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PREFIX = "raw/shop/orders/ingest_date=2026-11-27/"


def key(run: str, seq: int) -> str:
    return f"{PREFIX}{run}-{seq:05d}.ndjson.gz"


def committed(k: str, etag: str = "e1", sha: str = "s1", records: int = 10) -> CommittedFile:
    return CommittedFile(k, "r1", records, 100, sha, etag, "raw/shop/orders/_manifests/m.json")


def info(k: str, etag: str = "e1", age: timedelta = timedelta(hours=2)) -> ObjectInfo:
    return ObjectInfo(k, 100, etag, NOW - age)


def entry(k: str, etag: str = "e1", sha: str = "s1") -> LedgerEntry:
    return LedgerEntry(k, etag, sha, FileStatus.LOADED, 10, 0)


def no_hash(k: str) -> str:
    raise AssertionError(f"content of {k} should not be read when etags match")


def run(cf, listing, ledger, *, force=False, sha=no_hash, grace=timedelta(hours=1)):  # type: ignore[no-untyped-def]
    return classify(
        "shop",
        "orders",
        cf,
        {i.key: i for i in listing},
        {e.key: e for e in ledger},
        force=force,
        now=NOW,
        orphan_grace=grace,
        content_sha256=sha,
    )


def test_new_committed_file_is_pending() -> None:
    a = key("r1", 1)
    plan = run([committed(a)], [info(a)], [])
    assert [p.file.key for p in plan.pending] == [a]
    assert not plan.pending[0].reload
    assert plan.loaded == plan.changed == plan.missing == []


def test_loaded_file_with_same_etag_is_not_pending() -> None:
    a = key("r1", 1)
    plan = run([committed(a)], [info(a)], [entry(a)])
    assert plan.pending == []
    assert [c.key for c in plan.loaded] == [a]


def test_etag_change_with_new_content_is_changed_not_pending() -> None:
    a = key("r1", 1)
    plan = run([committed(a)], [info(a, etag="e2")], [entry(a)], sha=lambda k: "other")
    assert plan.pending == []
    assert [(c.file.key, c.recorded_etag, c.loaded) for c in plan.changed] == [(a, "e1", True)]


def test_etag_change_with_same_content_counts_as_loaded() -> None:
    # A copied lake keeps content but not (local) etags: the hash decides.
    a = key("r1", 1)
    plan = run([committed(a)], [info(a, etag="e2")], [entry(a)], sha=lambda k: "s1")
    assert plan.changed == [] and [c.key for c in plan.loaded] == [a]


def test_file_changed_before_first_load_is_changed() -> None:
    a = key("r1", 1)
    plan = run([committed(a)], [info(a, etag="e9")], [], sha=lambda k: "different")
    assert plan.pending == []
    assert plan.changed[0].loaded is False and plan.changed[0].recorded_etag == "e1"


def test_force_reloads_loaded_and_changed_files() -> None:
    a, b, c = key("r1", 1), key("r1", 2), key("r1", 3)
    plan = run(
        [committed(a), committed(b), committed(c)],
        [info(a), info(b, etag="e2"), info(c)],
        [entry(a), entry(b)],
        force=True,
        sha=lambda k: "other",
    )
    assert [(p.file.key, p.reload) for p in plan.pending] == [(a, True), (b, True), (c, False)]
    assert plan.changed == []
    # The ledger is to record what is loaded now: b's new content, not its committed hash,
    # or a later copy of the lake (new etags, same content) would call b changed.
    assert [p.sha256 for p in plan.pending] == ["s1", "other", "s1"]


def test_committed_but_absent_file_is_missing() -> None:
    a = key("r1", 1)
    plan = run([committed(a)], [], [])
    assert [m.key for m in plan.missing] == [a] and plan.pending == []


def test_uncommitted_files_are_orphans_after_the_grace_period_only() -> None:
    old, young = key("r2", 1), key("r3", 1)
    plan = run([], [info(old, age=timedelta(hours=3)), info(young, age=timedelta(minutes=5))], [])
    assert [o.key for o in plan.orphans] == [old]
    assert [o.key for o in plan.in_flight] == [young]
    assert plan.pending == []


def test_orphans_ignore_other_entities_and_non_data_keys() -> None:
    other = "raw/shop/customers/ingest_date=2026-11-27/r1-00001.ndjson.gz"
    junk = f"{PREFIX}notes.txt"
    plan = run([], [info(other), info(junk)], [])
    assert plan.orphans == [] and plan.in_flight == []


def test_committed_files_dedupes_keys_across_manifests_first_wins() -> None:
    a, b = key("r1", 1), key("r2", 1)

    def manifest(run_id: str, keys: list[str]) -> Manifest:
        files = [ManifestFile(key=k, records=3, bytes=10, sha256="s", etag="e") for k in keys]
        return Manifest(
            source="shop", entity="orders", run_id=run_id, seq=0, files=files, records=3
        )

    out = committed_files([manifest("r1", [a]), manifest("r2", [a, b])])
    assert [(f.key, f.run_id) for f in out] == [(a, "r1"), (b, "r2")]
    assert out[0].manifest_key.endswith("/_manifests/r1-00000.json")


# --- gzip lines -----------------------------------------------------------------------


def test_split_lines_clean_file_with_and_without_final_newline() -> None:
    assert split_lines(gzip.compress(b'{"a":1}\n{"b":2}\n')).lines == [b'{"a":1}', b'{"b":2}']
    assert split_lines(gzip.compress(b'{"a":1}\n{"b":2}')).lines == [b'{"a":1}', b'{"b":2}']
    assert split_lines(gzip.compress(b"")).lines == []


def test_split_lines_reads_every_gzip_member() -> None:
    data = gzip.compress(b"1\n2\n") + gzip.compress(b"3\n")
    out = split_lines(data)
    assert out.lines == [b"1", b"2", b"3"] and out.problem is None


def test_split_lines_keeps_lines_before_a_truncation() -> None:
    body = b"".join(b'{"i":%d}\n' % i for i in range(5000))
    data = gzip.compress(body)
    out = split_lines(data[: len(data) // 2])
    assert out.problem is not None and "truncated" in out.problem
    assert 0 < len(out.lines) < 5000
    assert out.lines == body.split(b"\n")[: len(out.lines)]
    assert body.split(b"\n")[len(out.lines)].startswith(out.tail)


def test_split_lines_reports_a_file_that_is_not_gzip() -> None:
    out = split_lines(b'{"a":1}\n')
    assert out.lines == [] and out.problem is not None and "not a gzip file" in out.problem


# --- reasons and summary ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "json_type", "expected"),
    [
        ('{"a": 1', None, "column 8: malformed JSON"),
        ("not json", None, "column 1: malformed JSON: Expecting value"),
        ("[1,2]", "ARRAY", "column 1: not a JSON object (got an array)"),
        ('"x"', "VARCHAR", "column 1: not a JSON object (got a string)"),
        ("3", "UBIGINT", "column 1: not a JSON object (got a number)"),
    ],
)
def test_reject_reason_names_column_and_cause(
    text: str, json_type: str | None, expected: str
) -> None:
    assert reject_reason(text, json_type).startswith(expected)


def test_first_error_text_names_line() -> None:
    assert first_error_text(7, "column 3: bad") == "line 7, column 3: bad"


def test_summary_says_nothing_to_load_only_when_no_file_was_processed() -> None:
    idle = LoadSummary("l1", [EntityLoadResult("shop", "orders", files_up_to_date=3)])
    busy = LoadSummary("l2", [EntityLoadResult("shop", "orders", files_loaded=1)])
    assert idle.nothing_to_load and not busy.nothing_to_load
    assert not idle.aborted
    assert LoadSummary("l3", [EntityLoadResult("shop", "orders", aborted=True)]).aborted


def test_summary_does_not_claim_every_file_loaded_when_one_is_missing_or_changed() -> None:
    from rich.console import Console

    for entity in (
        EntityLoadResult("shop", "orders", files_failed=1, missing_keys=["raw/a"]),
        EntityLoadResult("shop", "orders", files_changed=1, changed_keys=["raw/b"]),
    ):
        console = Console(width=200, record=True)
        console.print(LoadSummary("l", [entity]))
        assert "every committed file is already loaded" not in console.export_text()
