"""The load's progress counts rows against the manifests' total, and prints lines off a
terminal (issue 17). Before, the bar counted files only, and a CI log saw nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lake_builder import LakeBuilder, lake_store, make_config, order
from rich.console import Console

import glueflake.load.run
from glueflake.load import run_load
from glueflake.load.progress import LoadProgress

pytestmark = pytest.mark.integration


def _load_with_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *files: list) -> str:
    cfg = make_config(tmp_path)
    LakeBuilder(lake_store(cfg)).extract(*files)
    out = io.StringIO()
    bars: list[LoadProgress] = []

    def progress() -> LoadProgress:
        bar = LoadProgress(Console(file=out, force_terminal=False, width=120), heartbeat=0.0)
        bars.append(bar)
        return bar

    monkeypatch.setattr(glueflake.load.run, "LoadProgress", progress)
    run_load(cfg, progress=True)
    (task,) = bars[0].tasks
    assert task.total == sum(len(f) for f in files)  # the manifests' record count
    return out.getvalue()


def test_the_bar_counts_rows_of_the_manifests_total(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = _load_with_lines(
        monkeypatch, tmp_path, [order(i) for i in range(3)], [order(i) for i in range(3, 5)]
    )
    lines = [x for x in text.splitlines() if x.startswith("load shop.orders:")]
    assert lines[0].startswith("load shop.orders: 0/5 rows, 0/2 files")
    assert lines[-1].startswith("load shop.orders: 5/5 rows, 2/2 files")


def test_the_staged_pass_counts_again_from_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = [order(0), b"{not json", order(2)]
    text = _load_with_lines(monkeypatch, tmp_path, bad)
    lines = [x for x in text.splitlines() if x.startswith("load shop.orders:")]
    assert lines[-1].startswith("load shop.orders: 3/3 rows, 1/1 files")
