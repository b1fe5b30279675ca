"""Every command-line option can also be set by an environment variable, as the README says."""

from __future__ import annotations

from typing import Any

import typer

from glueflake.cli import app

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


def test_every_option_has_an_environment_variable() -> None:
    assert len(OPTIONS) > 30  # the walk reached the subcommands
    assert [f"{cmd} --{name}" for (cmd, name), envvar in OPTIONS.items() if not envvar] == []


def test_the_watch_and_full_refresh_switches_read_their_variables() -> None:
    assert OPTIONS[("glueflake load", "watch")] == "GLUEFLAKE_WATCH"
    assert OPTIONS[("glueflake transform", "full_refresh")] == "GLUEFLAKE_DBT_FULL_REFRESH"
