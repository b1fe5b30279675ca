"""A new warehouse always builds, even when it reloads to the very same row counts.

The record of the last whole build is kept beside dbt's artifacts; what ties it to
one warehouse is that warehouse's own load history. One pipeline in tmp: a first
`glueflake run`, then the warehouse file is deleted and `glueflake load` reloads the
same lake into a new one (identical landing counts, none of dbt's tables), then a
`glueflake run` with nothing new must build everything, not skip dbt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_cli_run import DAY, SCALE, SEED, glueflake
from test_run_changed_only import COUNTRY_MODELS, CUSTOMER_MODELS, ORDER_MODELS

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = [
    pytest.mark.integration,
    pytest.mark.dbt,
    pytest.mark.xdist_group("run_replaced_warehouse"),
]


def _landing_rows(text: str) -> list[str]:
    """The load summary's rows (entity, then its counts)."""
    return [line for line in text.splitlines() if line.startswith(("shop.", "restcountries."))]


def test_a_deleted_and_reloaded_warehouse_builds_everything(
    tmp_path: Path, demo_config: DemoConfig
) -> None:
    config = str(demo_config.write(tmp_path, seed=SEED, scale=SCALE, day=DAY))
    first = glueflake("run", "--no-progress", "-c", config, cwd=tmp_path)
    assert first.code == 0, first.output
    before = glueflake("status", "-c", config, cwd=tmp_path)

    (tmp_path / "warehouse.duckdb").unlink()
    reload = glueflake("load", "--no-progress", "-c", config, cwd=tmp_path)
    assert reload.code == 0, reload.output
    after = glueflake("status", "-c", config, cwd=tmp_path)
    # the same landing row counts as the first run left: only the history is new
    assert [r.split()[:7] for r in _landing_rows(after.stdout)] == [
        r.split()[:7] for r in _landing_rows(before.stdout)
    ]

    again = glueflake("run", "--no-progress", "-c", config, cwd=tmp_path)
    assert again.code == 0, again.output
    text = " ".join(again.stdout.split())
    assert "dbt build skipped" not in text
    assert "dbt build [dev]" in text
    results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())
    built = {r["unique_id"].split(".")[-1] for r in results["results"]}
    assert built >= COUNTRY_MODELS | CUSTOMER_MODELS | ORDER_MODELS
