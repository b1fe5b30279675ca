"""Unit tests for glueflake.transform: settings, summaries, failures, event handling."""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from glueflake.errors import TransformError
from glueflake.transform import BuildSummary, DbtFailure, DbtSettings, NodeResult
from glueflake.transform.events import ROW_COUNT_PREFIX, EventCollector
from glueflake.transform.results import normalise_status
from glueflake.transform.runner import DUCKDB_PATH_ENV, _common_args, _duckdb_env, _node_result


def _node(name: str, kind: str = "model", status: str = "pass", **extra: Any) -> NodeResult:
    return NodeResult(
        unique_id=f"{kind}.glueflake.{name}", name=name, resource_type=kind, status=status, **extra
    )


def _summary(*nodes: NodeResult, success: bool = True) -> BuildSummary:
    return BuildSummary(nodes=nodes, elapsed=1.5, success=success, target="dev")


def test_settings_defaults_put_target_and_logs_under_the_project(tmp_path: Path) -> None:
    settings = DbtSettings(project_dir=tmp_path, profiles_dir=tmp_path)
    assert settings.target == "dev"
    assert settings.vars == {}
    assert settings.resolved_target_path == (tmp_path / "target").resolve()
    assert settings.resolved_log_path == (tmp_path / "logs").resolve()
    assert settings.model_copy(update={"full_refresh": True}).full_refresh is True


def test_settings_reject_unknown_fields(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="colour"):
        DbtSettings(project_dir=tmp_path, profiles_dir=tmp_path, colour="red")  # type: ignore[call-arg]


def test_common_args_are_cwd_independent_and_quiet(tmp_path: Path) -> None:
    settings = DbtSettings(
        project_dir=tmp_path,
        profiles_dir=tmp_path,
        target="ci",
        vars={"landing_schema": "landing2"},
        threads=3,
        target_path=tmp_path / "t",
    )
    args = _common_args(settings, progress=True)
    assert args[args.index("--project-dir") + 1] == str(tmp_path.resolve())
    assert args[args.index("--profiles-dir") + 1] == str(tmp_path.resolve())
    assert args[args.index("--target") + 1] == "ci"
    assert args[args.index("--target-path") + 1] == str((tmp_path / "t").resolve())
    assert args[args.index("--log-level") + 1] == "none"
    assert args[args.index("--vars") + 1] == '{"landing_schema": "landing2"}'
    assert args[args.index("--threads") + 1] == "3"
    assert _common_args(settings, progress=False)[args.index("--log-level") + 1] == "warn"


def test_duckdb_env_is_set_for_the_call_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DUCKDB_PATH_ENV, "before.duckdb")
    db = tmp_path / "nested" / "w.duckdb"
    settings = DbtSettings(project_dir=tmp_path, profiles_dir=tmp_path, duckdb_path=db)
    with _duckdb_env(settings):
        assert os.environ[DUCKDB_PATH_ENV] == str(db.resolve())
        assert db.parent.is_dir()
    assert os.environ[DUCKDB_PATH_ENV] == "before.duckdb"


def test_duckdb_env_untouched_for_snowflake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DUCKDB_PATH_ENV, raising=False)
    settings = DbtSettings(
        project_dir=tmp_path, profiles_dir=tmp_path, target="prod", duckdb_path=tmp_path / "x"
    )
    with _duckdb_env(settings):
        assert DUCKDB_PATH_ENV not in os.environ


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("success", "pass"),
        ("pass", "pass"),
        ("fail", "fail"),
        ("runtime error", "error"),
        ("warn", "warn"),
        ("skipped", "skipped"),
        ("no-op", "pass"),
    ],
)
def test_normalise_status(raw: str, expected: str) -> None:
    assert normalise_status(raw) == expected


def test_summary_counts_by_type_and_outcome() -> None:
    summary = _summary(
        _node("raw_shop__orders", rows_affected=10),
        _node("fct_orders", status="error", message="boom"),
        _node("snap_customers", kind="snapshot"),
        _node("exchange_rates", kind="seed", rows_affected=10),
        _node("unique_x", kind="test"),
        _node("expr_y", kind="test", status="fail", failures=3, message="Got 3 results"),
        _node("not_null_z", kind="test", status="warn"),
        _node("test_flatten", kind="unit_test"),
        _node("skipped_w", kind="test", status="skipped"),
        success=False,
    )
    assert (summary.models.passed, summary.models.failed) == (1, 1)
    assert summary.tests.passed == 2  # one data test, one unit test
    assert (summary.tests.failed, summary.tests.warned, summary.tests.skipped) == (1, 1, 1)
    assert summary.tests.total == 5
    assert summary.snapshots.passed == summary.seeds.passed == 1
    assert [n.name for n in summary.failed_nodes] == ["fct_orders", "expr_y"]
    assert not summary.ok
    assert summary.rows == {"raw_shop__orders": 10}
    assert summary.raw_rows == {("shop", "orders"): 10}
    assert "1/2 models passed (1 failed)" in summary.headline()
    assert summary.node("expr_y").failures == 3
    with pytest.raises(KeyError):
        summary.node("missing")


def test_summary_renders_with_rich() -> None:
    summary = _summary(_node("m"), _node("t", kind="test", status="fail", message="bad"))
    out = io.StringIO()
    Console(file=out, width=120).print(summary)
    text = out.getvalue()
    assert "dbt build" in text
    assert "test t: fail: bad" in text


def test_dbt_failure_names_every_failed_node_and_is_a_transform_error() -> None:
    failed = (
        _node("fct_orders", status="error", message="Binder Error: x"),
        _node("assert_orders_revenue", kind="test", status="fail", failures=2, message="Got 2"),
    )
    failure = DbtFailure(command="build", failed=failed, errors=("profile missing",))
    text = str(failure)
    assert isinstance(failure, TransformError)
    assert "2 node(s) failed: fct_orders, assert_orders_revenue" in text
    assert "Binder Error: x" in text
    assert "(2 failing rows)" in text
    assert "profile missing" in text
    with pytest.raises(TransformError, match="assert_orders_revenue"):
        raise failure


def _event(name: str, level: str = "debug", text: str = "", **data: Any) -> Any:
    return SimpleNamespace(
        info=SimpleNamespace(name=name, level=level, msg=text),
        data=SimpleNamespace(**data),
    )


def _node_info(name: str, kind: str = "model") -> Any:
    return SimpleNamespace(
        unique_id=f"{kind}.glueflake.{name}", node_name=name, resource_type=kind, node_status=""
    )


def test_collector_picks_up_row_counts_and_stray_errors() -> None:
    collector = EventCollector(progress=False)
    payload = '{"unique_id": "model.glueflake.fct_orders", "rows": 42}'
    collector(_event("JinjaLogDebug", msg=ROW_COUNT_PREFIX + payload))
    collector(_event("JinjaLogDebug", msg="something else"))
    collector(_event("MainEncounteredError", level="error", text="Database Error: no file"))
    # Errors about a node are reported through its result, not duplicated here.
    collector(
        _event("LogTestResult", level="error", text="FAIL t", node_info=_node_info("t", "test"))
    )
    collector(_event("RunResultError", level="error", text="Got 2 results"))
    assert collector.row_counts == {"model.glueflake.fct_orders": 42}
    assert collector.errors == ["Database Error: no file"]


def test_collector_draws_progress_without_failing() -> None:
    out = io.StringIO()
    collector = EventCollector(progress=True, console=Console(file=out, width=120))
    with collector:
        collector(_event("LogStartLine", level="info", total=2, node_info=_node_info("m")))
        collector(_event("NodeStart", node_info=_node_info("m")))
        run_result = SimpleNamespace(status="success", execution_time=0.25)
        collector(_event("NodeFinished", node_info=_node_info("m"), run_result=run_result))
        failed = SimpleNamespace(status="fail", execution_time=0.1)
        collector(_event("NodeFinished", node_info=_node_info("t", "test"), run_result=failed))
        collector(_event("Garbage"))  # missing fields never raise
    text = out.getvalue()
    assert "model" in text and " m " in text
    assert "fail" in text and " t " in text


def test_node_result_prefers_hook_row_counts() -> None:
    run_result = SimpleNamespace(
        node=SimpleNamespace(
            unique_id="seed.glueflake.exchange_rates",
            name="exchange_rates",
            resource_type="seed",
            relation_name='"w"."dev_seeds"."exchange_rates"',
        ),
        status="success",
        adapter_response={"rows_affected": 10},
        execution_time=0.5,
        message="INSERT 10",
        failures=None,
    )
    node = _node_result(run_result, {}, {})
    assert (node.status, node.rows_affected, node.resource_type) == ("pass", 10, "seed")
    assert _node_result(run_result, {"seed.glueflake.exchange_rates": 11}, {}).rows_affected == 11
