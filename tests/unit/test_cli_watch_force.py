"""`glueflake load --watch --force`: refused, not a watch that silently reloads nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

import glueflake.load
from glueflake.cli import app

if TYPE_CHECKING:
    from conftest import DemoConfig


def test_watch_with_force_is_refused(
    tmp_path: Path, demo_config: DemoConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = demo_config.write(tmp_path)
    watched: list[dict[str, Any]] = []
    monkeypatch.setattr(glueflake.load, "watch_lake", lambda *a, **k: watched.append(k))
    result = CliRunner().invoke(app, ["load", "-c", str(path), "--watch", "--force"])
    assert result.exit_code != 0
    assert "--force" in result.output
    assert watched == []
