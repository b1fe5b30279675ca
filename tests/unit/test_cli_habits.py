"""The habits of a well-kept CLI: --version, a log level, help on every option."""

from __future__ import annotations

import logging
from importlib.metadata import version
from typing import Any

import typer
from typer.testing import CliRunner

from glueflake.cli import app


def _params(command: Any, path: str = "glueflake") -> list[tuple[str, Any]]:
    found = [(path, p) for p in command.params]
    for name, sub in getattr(command, "commands", {}).items():
        found += _params(sub, f"{path} {name}")
    return found


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"glueflake {version('glueflake')}"


def test_every_option_has_help_text() -> None:
    params = _params(typer.main.get_command(app))
    assert len(params) > 40
    missing = [
        f"{cmd} --{p.name}" for cmd, p in params if p.param_type_name == "option" and not p.help
    ]
    assert missing == []


def test_log_level_and_verbose_set_glueflake_s_logger(tmp_path: Any) -> None:
    runner = CliRunner()
    runner.invoke(app, ["--log-level", "info", "status", "-c", str(tmp_path / "none.yml")])
    assert logging.getLogger("glueflake").level == logging.INFO
    runner.invoke(app, ["-v", "status", "-c", str(tmp_path / "none.yml")])
    assert logging.getLogger("glueflake").level == logging.DEBUG
