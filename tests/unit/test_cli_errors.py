"""A warehouse driver's own error reaches the user as one line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import glueflake.load
from glueflake.cli import app

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline.yml"


class DatabaseError(Exception):
    """Stands in for snowflake.connector.errors.DatabaseError."""


DatabaseError.__module__ = "snowflake.connector.errors"


def test_driver_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise DatabaseError("250001: Incorrect username or password was specified.")

    monkeypatch.setattr(glueflake.load, "lake_status", refuse)
    result = CliRunner().invoke(app, ["status", "-c", str(PIPELINE)])
    assert result.exit_code == 1
    assert "DatabaseError: 250001: Incorrect username" in result.output
    assert "Traceback" not in result.output


def test_other_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(glueflake.load, "lake_status", bug)
    result = CliRunner().invoke(app, ["status", "-c", str(PIPELINE)])
    assert isinstance(result.exception, ZeroDivisionError)
