"""Every command-line option can also be set by an environment variable, as the README says.

One scheme: an option that overrides a config value reads that value's own
``GLUEFLAKE__<PATH>`` variable, so no second name exists for it; every other option
reads ``GLUEFLAKE_<OPTION>``. Precedence: flag, variable, config file, default.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner

import glueflake.extract
import glueflake.pipeline
from glueflake.cli import app
from glueflake.config import (
    ENV_OVERRIDE_PREFIX,
    WAREHOUSE_MODELS,
    PipelineConfig,
    WarehouseSettings,
)

if TYPE_CHECKING:
    from conftest import DemoConfig

TYPER_OWN = {"help", "install_completion", "show_completion", "version"}
"""Options typer adds to every app, and --version (it prints and exits): no variable."""


def _options(command: Any, path: str = "glueflake") -> dict[tuple[str, str], Any]:
    """Every option of `command` and its subcommands, by (command path, option name)."""
    found = {
        (path, param.name): param.envvar
        for param in command.params
        if param.param_type_name == "option" and param.name not in TYPER_OWN
    }
    for name, sub in getattr(command, "commands", {}).items():
        found |= _options(sub, f"{path} {name}")
    return found


OPTIONS = _options(typer.main.get_command(app))


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The config models an annotation holds (through Annotated, unions and Optional)."""
    if isinstance(annotation, type) and issubclass(annotation, WarehouseSettings):
        return list(WAREHOUSE_MODELS.values())  # the registered kinds, by their `type`
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType) or hasattr(annotation, "__metadata__"):
        return [m for arg in get_args(annotation) for m in _models(arg)]
    return []


def _config_paths(model: type[BaseModel] = PipelineConfig, prefix: str = "") -> set[str]:
    """Every fixed config path (``demo.day``), sources' free-form maps left out."""
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        for sub in _models(field.annotation):
            paths |= _config_paths(sub, f"{path}.")
    return paths


CONFIG_PATHS = _config_paths()


def test_every_option_has_an_environment_variable() -> None:
    assert len(OPTIONS) > 30  # the walk reached the subcommands
    assert [f"{cmd} --{name}" for (cmd, name), envvar in OPTIONS.items() if not envvar] == []


def test_the_watch_and_full_refresh_switches_read_their_variables() -> None:
    assert OPTIONS[("glueflake load", "watch")] == "GLUEFLAKE_WATCH"
    assert OPTIONS[("glueflake transform", "full_refresh")] == "GLUEFLAKE_DBT_FULL_REFRESH"


def test_an_option_over_a_config_value_reads_that_value_s_variable() -> None:
    assert {"demo.day", "dbt.target", "lake.region", "warehouse.account"} <= CONFIG_PATHS
    expected = {
        "demo_day": "GLUEFLAKE__DEMO__DAY",
        "demo_hour": "GLUEFLAKE__DEMO__HOUR",
        "target": "GLUEFLAKE__DBT__TARGET",
        "region": "GLUEFLAKE__LAKE__REGION",
        "profiles_dir": "GLUEFLAKE__DBT__PROFILES_DIR",
        "dbt_role": "GLUEFLAKE__WAREHOUSE__DBT_ROLE",
        "admin_user": "GLUEFLAKE__SETUP__USER",
        "admin_role": "GLUEFLAKE__SETUP__ROLE",
    }
    for (cmd, name), envvar in OPTIONS.items():
        if name in expected:
            assert envvar == expected[name], f"{cmd} --{name}"


def test_no_option_has_a_second_name_for_a_config_value() -> None:
    for (cmd, name), envvar in OPTIONS.items():
        if envvar.startswith(ENV_OVERRIDE_PREFIX):  # a config path's own variable
            path = envvar.removeprefix(ENV_OVERRIDE_PREFIX).lower().replace("__", ".")
            assert path in CONFIG_PATHS, f"{cmd} --{name}: {envvar} names no config value"
        else:
            assert envvar.startswith("GLUEFLAKE_"), f"{cmd} --{name}: {envvar}"
            suffix = envvar.removeprefix("GLUEFLAKE_").lower()
            doubles = {p for p in CONFIG_PATHS if p.replace(".", "_") == suffix}
            assert not doubles, f"{cmd} --{name}: {envvar} doubles {doubles}"


# --- precedence: flag > variable > pipeline.yml > default ------------------------------


@pytest.fixture
def config_file(tmp_path: Path, demo_config: DemoConfig, no_glueflake_env: None) -> Path:
    """The demo pipeline on day 5, dbt target dev; no GLUEFLAKE variable from the caller."""
    return demo_config.write(tmp_path, day=5)


def _demo_day(cfg: PipelineConfig, **_: Any) -> object:
    return cfg.demo.day


def _dbt_target(
    cfg: PipelineConfig, *, target: str | None = None, options: Any = None, **_: Any
) -> object:
    return target or (options.target if options else None) or cfg.dbt.target


# command, its stage function, what it was given, flag, variable, old name, values
# in the file / the variable / the flag.
PRECEDENCE = {
    "demo day": (
        "extract", (glueflake.extract, "run_extract"), _demo_day,
        "--demo-day", "GLUEFLAKE__DEMO__DAY", "GLUEFLAKE_DEMO_DAY", (5, 7, 9),
    ),
    "dbt target": (
        "transform", (glueflake.pipeline, "transform"), _dbt_target,
        "--target", "GLUEFLAKE__DBT__TARGET", "GLUEFLAKE_DBT_TARGET", ("dev", "ci", "prod"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PRECEDENCE))
def test_flag_beats_variable_beats_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    command, (module, name), given, flag, var, old, (in_file, in_var, in_flag) = PRECEDENCE[case]
    seen: list[object] = []

    def stage(*a: Any, **k: Any) -> str:
        seen.append(given(*a, **k))
        return ""

    monkeypatch.setattr(module, name, stage)
    args = [command, "-c", str(config_file)]
    for extra, env in (
        ([], {}),
        ([], {var: str(in_var)}),
        ([flag, str(in_flag)], {var: str(in_var)}),
        ([], {old: str(in_var)}),  # the old second name is not read
    ):
        result = CliRunner().invoke(app, [*args, *extra], env=env)
        assert result.exit_code == 0, result.output
    assert seen == [in_file, in_var, in_flag, in_file]


def test_profiles_yml_reads_the_same_variables() -> None:
    profiles = (Path(__file__).resolve().parents[2] / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('GLUEFLAKE__DBT__TARGET', 'dev')" in profiles
    assert profiles.count("env_var('GLUEFLAKE__WAREHOUSE__PATH'") == 2  # dev and ci
    for old in ("GLUEFLAKE_DBT_TARGET", "GLUEFLAKE_DUCKDB_PATH", "GLUEFLAKE_CI_DUCKDB_PATH"):
        assert f"'{old}'" not in profiles
