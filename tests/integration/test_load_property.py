"""Property: whatever mix of extracts, orphans, loads and crashes happens, landing holds
every committed record exactly once, minus the rejected ones."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lake_builder import (
    LakeBuilder,
    lake_store,
    landing_count,
    ledger,
    make_config,
    new_run_id,
    order,
    query,
)

from glueflake.failpoints import AFTER_DATA_INSERT, FailpointHit, armed
from glueflake.lake import ManifestFile
from glueflake.load import run_load

pytestmark = pytest.mark.integration

BAD_LINES = ("{not json", "[1, 2]", '"x"', '{"a": ')

file_spec = st.tuples(st.integers(0, 12), st.lists(st.sampled_from(BAD_LINES), max_size=2))
step = st.one_of(
    st.tuples(st.just("extract"), st.lists(file_spec, min_size=1, max_size=3)),
    st.tuples(st.just("orphan"), st.integers(1, 5)),
    st.tuples(st.just("load"), st.booleans()),
    st.tuples(st.just("crash"), st.none()),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_landing_count_is_committed_minus_rejected(steps: list[tuple[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cfg = make_config(base)
        lake = LakeBuilder(lake_store(cfg))
        committed: list[ManifestFile] = []
        orphans: set[str] = set()
        next_id = 0
        for kind, arg in steps:
            if kind == "extract":
                run_id = new_run_id()
                written = []
                for good, bad in arg:  # type: ignore[attr-defined]
                    lines: list[object] = [order(next_id + i) for i in range(good)]
                    next_id += good
                    for j, text in enumerate(bad):
                        lines.insert(j * 2 % (len(lines) + 1), text)
                    written.append(lake.write_file(lines, run_id=run_id))  # type: ignore[arg-type]
                lake.commit(written, run_id=run_id)
                committed.extend(written)
            elif kind == "orphan":
                orphans.add(lake.orphan([order(10_000 + i) for i in range(int(arg))]))  # type: ignore[call-overload]
            elif kind == "load":
                run_load(cfg, force=bool(arg))
                check(cfg, committed, orphans)
            else:
                with armed(AFTER_DATA_INSERT), contextlib.suppress(FailpointHit):
                    run_load(cfg)
        run_load(cfg)
        check(cfg, committed, orphans)


def check(cfg: object, committed: list[ManifestFile], orphans: set[str]) -> None:
    entries = ledger(cfg)  # type: ignore[arg-type]
    assert set(entries) == {f.key for f in committed}
    rejected = sum(e[3] for e in entries.values())
    expected = sum(f.records for f in committed) - rejected
    assert landing_count(cfg) == expected  # type: ignore[arg-type]
    if committed:
        dupes = query(
            cfg,  # type: ignore[arg-type]
            "select count(*) - count(distinct (_file_name, _file_row_number)) "
            "from landing.shop__orders",
        )
        assert dupes == [(0,)]
        names = {r[0] for r in query(cfg, "select distinct _file_name from landing.shop__orders")}  # type: ignore[arg-type]
        assert not names & orphans
