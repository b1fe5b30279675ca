"""Which landing tables a run must rebuild from, and the state kept between runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from glueflake.load import EntityLoadResult, LoadSummary
from glueflake.load.status import EntityStatus, StatusReport
from glueflake.transform.changes import (
    STATE_FILE,
    BuildState,
    LoadHistory,
    changed_tables,
    selection,
)

WAREHOUSE = "/tmp/w.duckdb"


def _status(**rows: int | None) -> StatusReport:
    entities = []
    for table, count in rows.items():
        source, entity = table.split("__")
        entities.append(EntityStatus(source, entity, landing_rows=count))
    return StatusReport(lake_url="lake", warehouse=WAREHOUSE, entities=entities)


def _load(**rows: int) -> LoadSummary:
    entities = []
    for table, count in rows.items():
        source, entity = table.split("__")
        entities.append(EntityLoadResult(source, entity, rows_loaded=count))
    return LoadSummary(load_id="L", entities=entities)


FIRST_LOAD = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RELOAD = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _loaded(files: dict[str, int], at: datetime, **rows: int) -> StatusReport:
    """A status whose landing tables hold `files` lake files, the latest loaded `at`."""
    status = _status(**rows)
    for e in status.entities:
        e.loaded_files = files[f"{e.source}__{e.entity}"]
        e.last_loaded_at = at
    return status


def _files_loaded(**files: int) -> LoadSummary:
    """This run's load: `files` lake files (one row each) per table."""
    entities = []
    for table, count in files.items():
        source, entity = table.split("__")
        entities.append(EntityLoadResult(source, entity, files_loaded=count, rows_loaded=count))
    return LoadSummary(load_id="L", entities=entities)


STATE = BuildState(WAREHOUSE, "dev", {"shop__orders": 10, "shop__customers": 5})


def test_nothing_loaded_and_counts_as_recorded_is_nothing_to_build() -> None:
    status = _status(shop__orders=10, shop__customers=5)
    assert changed_tables(_load(shop__orders=0), status, STATE, target="dev") == []


def test_tables_that_got_rows_or_differ_from_the_record_are_changed() -> None:
    # customers: rows landed outside a run (a separate `glueflake load`, or a failed build)
    status = _status(shop__orders=12, shop__customers=7)
    assert changed_tables(_load(shop__orders=2), status, STATE, target="dev") == [
        "shop__customers",
        "shop__orders",
    ]


def test_a_table_new_to_the_record_is_changed() -> None:
    status = _status(shop__orders=10, shop__customers=5, restcountries__countries=0)
    assert changed_tables(_load(), status, STATE, target="dev") == ["restcountries__countries"]


def test_no_record_another_target_warehouse_or_unknown_count_builds_everything() -> None:
    status = _status(shop__orders=10, shop__customers=5)
    assert changed_tables(_load(), status, None, target="dev") is None
    assert changed_tables(_load(), status, STATE, target="ci") is None
    other = BuildState("/elsewhere.duckdb", "dev", STATE.landing_rows)
    assert changed_tables(_load(), status, other, target="dev") is None
    unknown = _status(shop__orders=10, shop__customers=None)
    assert changed_tables(_load(), unknown, STATE, target="dev") is None
    assert BuildState.of(unknown, "dev") is None


def test_state_round_trips_and_a_damaged_file_reads_as_none(tmp_path: Path) -> None:
    STATE.write(tmp_path / "target")
    assert BuildState.read(tmp_path / "target") == STATE
    (tmp_path / "target" / STATE_FILE).write_text("{not json")
    assert BuildState.read(tmp_path / "target") is None
    assert BuildState.read(tmp_path / "missing") is None


def test_selection_is_every_changed_source_and_its_descendants() -> None:
    assert selection(["shop__customers", "shop__orders"]) == [
        "source:landing.shop__customers+",
        "source:landing.shop__orders+",
    ]


FILES = {"shop__orders": 3, "shop__customers": 1}
BUILT = BuildState.of(_loaded(FILES, FIRST_LOAD, shop__orders=10, shop__customers=5), "dev")


def test_the_record_keeps_the_warehouses_load_history_of_each_table(tmp_path: Path) -> None:
    assert BUILT is not None
    assert BUILT.history["shop__orders"] == LoadHistory(3, FIRST_LOAD.isoformat())
    BUILT.write(tmp_path)
    assert BuildState.read(tmp_path) == BUILT
    status = _loaded(FILES, FIRST_LOAD, shop__orders=10, shop__customers=5)
    assert changed_tables(_load(), status, BUILT, target="dev") == []


def test_a_warehouse_deleted_and_reloaded_with_identical_rows_builds_everything() -> None:
    # `glueflake load` into a new file: the same files and rows, a new load history
    status = _loaded(FILES, RELOAD, shop__orders=10, shop__customers=5)
    assert changed_tables(_load(), status, BUILT, target="dev") is None


def test_a_warehouse_reloaded_by_the_run_itself_builds_everything() -> None:
    # every file of every table loaded by this run, into a warehouse with no history
    status = _loaded(FILES, RELOAD, shop__orders=10, shop__customers=5)
    assert changed_tables(_files_loaded(**FILES), status, BUILT, target="dev") is None


def test_files_a_separate_load_brought_change_their_table_only() -> None:
    status = _loaded({"shop__orders": 4, "shop__customers": 1}, RELOAD, shop__orders=11)
    status.entities.append(_loaded(FILES, FIRST_LOAD, shop__customers=5).entities[0])
    assert changed_tables(_load(), status, BUILT, target="dev") == ["shop__orders"]
    # the same file counted in this run's load instead
    status = _loaded({"shop__orders": 4, "shop__customers": 1}, RELOAD, shop__orders=11)
    status.entities.append(_loaded(FILES, FIRST_LOAD, shop__customers=5).entities[0])
    assert changed_tables(_files_loaded(shop__orders=1), status, BUILT, target="dev") == [
        "shop__orders"
    ]
