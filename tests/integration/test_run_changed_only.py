"""`glueflake run` rebuilds only what depends on the landing tables that changed.

One pipeline in tmp, four runs in order: the first builds everything; a second with
nothing new does not invoke dbt; after orders alone landed (an orders-only extract
of the next day), a run builds the order models and none of the country or customer
models; ``run --all`` builds everything again. What dbt built is read from its own
``run_results.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_cli_run import DAY, SCALE, SEED, Proc, glueflake

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("run_changed")]

COUNTRY_MODELS = {
    "raw_restcountries__countries",
    "int_countries",
    "int_country_continents",
    "int_country_currencies",
    "int_country_languages",
    "dim_countries",
    "country_details_by_continent",
}
CUSTOMER_MODELS = {"raw_shop__customers", "int_customers", "dim_customers"}
ORDER_MODELS = {
    "raw_shop__orders",
    "int_orders",
    "int_order_lines",
    "fct_orders",
    "fct_daily_sales",
}


@dataclass
class Runs:
    root: Path
    first: Proc
    first_models: set[str]
    first_unit_tests: set[str]
    noop: Proc
    noop_results_untouched: bool
    orders_only: Proc
    orders_only_models: set[str]
    orders_only_unit_tests: set[str]
    build_all: Proc
    build_all_models: set[str]


def _built(root: Path, resource_type: str = "model") -> set[str]:
    """Names of the nodes of ``resource_type`` in dbt's last run_results.json."""
    results = json.loads((root / "dbt_target" / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[-1]
        for r in results
        if r["unique_id"].startswith(f"{resource_type}.")
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, demo_config: DemoConfig) -> Runs:
    root = tmp_path_factory.mktemp("run_changed")
    config = str(demo_config.write(root, seed=SEED, scale=SCALE, day=DAY))
    first = glueflake("run", "--no-progress", "-c", config, cwd=root)
    assert first.code == 0, first.output
    first_models = _built(root)
    first_unit_tests = _built(root, "unit_test")
    results = root / "dbt_target" / "run_results.json"
    stamp = results.stat().st_mtime_ns
    noop = glueflake("run", "--no-progress", "-c", config, cwd=root)
    untouched = results.stat().st_mtime_ns == stamp
    # The next day's orders land in the lake; customers and countries stay as they were.
    extract = glueflake(
        "extract",
        "--no-progress",
        "-c",
        config,
        "--only",
        "shop.orders",
        "--demo-day",
        str(DAY + 1),
        cwd=root,
    )
    assert extract.code == 0, extract.output
    orders_only = glueflake("run", "--no-progress", "-c", config, cwd=root)
    orders_only_models = _built(root)
    orders_only_unit_tests = _built(root, "unit_test")
    build_all = glueflake("run", "--no-progress", "--all", "-c", config, cwd=root)
    return Runs(
        root,
        first,
        first_models,
        first_unit_tests,
        noop,
        untouched,
        orders_only,
        orders_only_models,
        orders_only_unit_tests,
        build_all,
        _built(root),
    )


def test_the_first_run_builds_everything(runs: Runs) -> None:
    assert runs.first_models >= COUNTRY_MODELS | CUSTOMER_MODELS | ORDER_MODELS
    assert "dbt build skipped" not in runs.first.stdout


def test_a_run_with_nothing_new_builds_nothing(runs: Runs) -> None:
    assert runs.noop.code == 0, runs.noop.output
    text = " ".join(runs.noop.stdout.split())
    assert "dbt build skipped: no landing table changed since the last build" in text
    assert "dbt build [" not in text
    assert runs.noop_results_untouched, "dbt ran: run_results.json was rewritten"


def test_a_run_that_brought_orders_only_rebuilds_no_country_model(runs: Runs) -> None:
    assert runs.orders_only.code == 0, runs.orders_only.output
    text = " ".join(runs.orders_only.stdout.split())
    assert "dbt build of what changed: source:landing.shop__orders+" in text
    assert runs.orders_only_models >= ORDER_MODELS
    assert not runs.orders_only_models & COUNTRY_MODELS
    assert not runs.orders_only_models & CUSTOMER_MODELS
    assert "failed" not in text


def test_run_all_builds_everything(runs: Runs) -> None:
    assert runs.build_all.code == 0, runs.build_all.output
    assert runs.build_all_models == runs.first_models


def test_a_build_of_what_changed_leaves_the_unit_tests_to_whole_builds(runs: Runs) -> None:
    # unit tests check SQL against fixtures: the first (whole) build runs them, a build
    # of new rows does not (they cannot change its outcome)
    assert "test_order_lines_convert_to_usd" in runs.first_unit_tests
    assert runs.orders_only_unit_tests == set()
    assert "(unit tests run with whole builds)" in " ".join(runs.orders_only.stdout.split())
