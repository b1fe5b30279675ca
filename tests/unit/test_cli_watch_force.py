"""`glueflake load --watch --force`: refused, not a watch that silently reloads nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import glueflake.load
from glueflake.cli import app

CONFIG = {
    "lake": {"url": "lake"},
    "warehouse": {"type": "duckdb", "path": "warehouse.duckdb"},
    "sources": {
        "shop": {"base_url": "demo", "endpoints": {"orders": {"path": "/o", "primary_key": "id"}}}
    },
}


def test_watch_with_force_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(yaml.safe_dump(CONFIG))
    watched: list[dict[str, Any]] = []
    monkeypatch.setattr(glueflake.load, "watch_lake", lambda *a, **k: watched.append(k))
    result = CliRunner().invoke(app, ["load", "-c", str(path), "--watch", "--force"])
    assert result.exit_code != 0
    assert "--force" in result.output
    assert watched == []
