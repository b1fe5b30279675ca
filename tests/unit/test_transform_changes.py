"""Which landing tables a run must rebuild from, and the state kept between runs."""

from __future__ import annotations

from pathlib import Path

from glueflake.load import EntityLoadResult, LoadSummary
from glueflake.load.status import EntityStatus, StatusReport
from glueflake.transform.changes import STATE_FILE, BuildState, changed_tables, selection

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
