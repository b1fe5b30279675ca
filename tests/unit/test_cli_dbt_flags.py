"""dbt's own flags on `glueflake transform` and `run` reach dbt as dbt takes them.

dbt itself is replaced by a recorder of its argument list; no dbt runs.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from glueflake.cli import app
from glueflake.extract import ExtractSummary
from glueflake.load import LoadSummary
from glueflake.transform import runner

CONFIG = {
    "version": 1,
    "lake": {"url": "lake"},
    "warehouse": {"type": "duckdb", "path": "w.duckdb"},
    "sources": {
        "shop": {
            "base_url": "http://127.0.0.1:9",
            "endpoints": {"orders": {"path": "/orders", "primary_key": "id"}},
        }
    },
}


@pytest.fixture
def dbt_args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def invoke(args: list[str], collector: Any) -> Any:
        calls.append(list(args))
        return SimpleNamespace(result=SimpleNamespace(results=[]), success=True, exception=None)

    monkeypatch.setattr(runner, "_invoke", invoke)
    (tmp_path / "pipeline.yml").write_text(yaml.safe_dump(CONFIG))
    monkeypatch.chdir(tmp_path)
    for name in ("GLUEFLAKE_DBT_SELECT", "GLUEFLAKE_DBT_THREADS", "GLUEFLAKE_DBT_TARGET"):
        monkeypatch.delenv(name, raising=False)
    return calls


def _flag(args: list[str], flag: str) -> list[str]:
    """The values after `flag`, up to the next flag."""
    if flag not in args:
        return []
    rest = args[args.index(flag) + 1 :]
    return rest[: next((i for i, a in enumerate(rest) if a.startswith("--")), len(rest))]


def test_every_select_is_kept_and_the_other_flags_reach_dbt(
    dbt_args: list[list[str]], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "transform",
            "--no-progress",
            "--select",
            "raw_shop__orders",
            "--select",
            "tag:nightly",
            "--exclude",
            "fct_orders",
            "--vars",
            "{landing_schema: elsewhere}",
            "--threads",
            "3",
            "--full-refresh",
            "--target",
            "ci",
            "--profiles-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    (args,) = dbt_args
    assert _flag(args, "--select") == ["raw_shop__orders", "tag:nightly"]
    assert _flag(args, "--exclude") == ["fct_orders"]
    assert _flag(args, "--vars") == ['{"landing_schema": "elsewhere"}']
    assert _flag(args, "--threads") == ["3"]
    assert _flag(args, "--target") == ["ci"]
    assert _flag(args, "--profiles-dir") == [str(tmp_path.resolve())]
    assert "--full-refresh" in args


def test_vars_that_are_not_a_mapping_exit_2_naming_the_option(dbt_args: list[list[str]]) -> None:
    result = CliRunner().invoke(app, ["transform", "--vars", "[1, 2]"])
    assert result.exit_code == 2
    assert "--vars: expected a YAML mapping" in result.output
    assert dbt_args == []


def test_run_only_extracts_loads_and_builds_what_reads_that_entity(
    dbt_args: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glueflake import extract, load, pipeline
    from glueflake.config import load_config

    seen: dict[str, Any] = {}

    def fake_extract(config: Any, *, only: Any = None, progress: bool = True) -> Any:
        seen["extract"] = only
        return ExtractSummary("r")

    def fake_load(config: Any, *, only: Any = None, progress: bool = True) -> Any:
        seen["load"] = only
        return LoadSummary("l")

    monkeypatch.setattr(extract, "run_extract", fake_extract)
    monkeypatch.setattr(load, "run_load", fake_load)
    monkeypatch.setattr(load, "lake_status", lambda config: None)
    result = pipeline.run_pipeline(
        load_config("pipeline.yml"), only=["shop.orders"], progress=False
    )
    assert seen == {"extract": ["shop.orders"], "load": ["shop.orders"]}
    assert result.build is not None
    (args,) = dbt_args
    assert _flag(args, "--select") == ["source:landing.shop__orders+"]
