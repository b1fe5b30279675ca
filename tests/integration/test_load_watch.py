"""`watch_lake`: polls load new commits; Ctrl-C stops between files, losing nothing."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from lake_builder import LakeBuilder, lake_store, landing_count, ledger, make_config, order
from rich.console import Console

from glueflake.errors import LoadError
from glueflake.load import LoadSummary, run_load, watch_lake
from glueflake.load.duckdb import loader as duckdb_loader

pytestmark = pytest.mark.integration


def quiet() -> Console:
    return Console(record=True, width=200, file=io.StringIO())


def test_watch_loads_commits_as_they_appear(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    lake = LakeBuilder(lake_store(cfg))
    lake.extract([order(i) for i in range(5)])
    polls: list[LoadSummary] = []

    def load(*args: Any, **kwargs: Any) -> LoadSummary:
        summary = run_load(*args, **kwargs)
        polls.append(summary)
        if len(polls) == 1:
            lake.extract([order(i) for i in range(5, 8)])  # a commit lands between polls
        return summary

    console = quiet()
    result = watch_lake(cfg, interval=0.01, console=console, max_polls=3, load=load)
    assert [p.rows_loaded for p in polls] == [5, 3, 0]
    assert (result.polls, result.files_loaded, result.rows_loaded) == (3, 2, 8)
    assert not result.interrupted
    assert landing_count(cfg) == 8
    assert "watch stopped after 3 poll(s): 2 file(s), 8 row(s)" in console.export_text()


def test_watch_stops_on_the_stop_event(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    LakeBuilder(lake_store(cfg)).extract([order(1)])
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    result = watch_lake(cfg, interval=0.05, console=quiet(), stop=stop)
    timer.join()
    assert result.polls >= 1 and result.rows_loaded == 1


def test_ctrl_c_mid_transaction_rolls_back_and_the_next_run_loads_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_config(tmp_path)
    lake = LakeBuilder(lake_store(cfg))
    lake.extract([order(i) for i in range(10)])

    def interrupt(name: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(duckdb_loader, "crash_point", interrupt)
    result = watch_lake(cfg, interval=0.01, console=quiet())
    assert result.interrupted and result.rows_loaded == 0
    assert landing_count(cfg) == 0 and ledger(cfg) == {}
    monkeypatch.undo()
    assert run_load(cfg).rows_loaded == 10
    assert landing_count(cfg) == 10


def test_ctrl_c_between_polls_keeps_what_was_loaded(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    LakeBuilder(lake_store(cfg)).extract([order(i) for i in range(4)])
    calls = 0

    def load(*args: Any, **kwargs: Any) -> LoadSummary:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return run_load(*args, **kwargs)

    result = watch_lake(cfg, interval=0.01, console=quiet(), load=load)
    assert result.interrupted and (result.polls, result.rows_loaded) == (1, 4)
    assert landing_count(cfg) == 4


def test_watch_stops_with_an_error_when_abort_fires(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, {"shop": {"orders": "abort"}})
    LakeBuilder(lake_store(cfg)).extract([order(1), "{oops"])
    with pytest.raises(LoadError, match="line 2"):
        watch_lake(cfg, interval=0.01, console=quiet(), max_polls=5)


def test_watch_reports_a_changed_and_a_missing_file_once(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    lake = LakeBuilder(lake_store(cfg))
    changed = lake.extract([order(1), order(2)]).files[0].key
    missing = lake.extract([order(3)]).files[0].key
    run_load(cfg)
    lake.rewrite(changed, [order(1), order(2), order(9)])
    path = lake.store.local_path(missing)
    assert path is not None
    path.unlink()
    console = quiet()
    watch_lake(cfg, interval=0.01, console=console, max_polls=3)
    text = console.export_text()
    assert text.count(f"CHANGED shop.orders: {changed}") == 1
    assert text.count(f"MISSING shop.orders: {missing}") == 1
