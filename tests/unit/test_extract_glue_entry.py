"""The Glue job entry: Glue's argument resolver on Glue, argparse elsewhere."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _entry() -> Any:
    spec = importlib.util.spec_from_file_location("extract_api", ROOT / "glue" / "extract_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_argparse_off_glue() -> None:
    entry = _entry()
    assert entry._glue_args(["job"]) is None  # awsglue is not installed here
    args = entry._local_args(["job", "--config", "p.yml", "--only", "shop", "--demo-day", "3"])
    assert args == {"config": "p.yml", "only": "shop", "demo_day": "3"}


def test_glue_resolver_asks_only_for_present_options(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[str]] = []

    def resolve(argv: list[str], names: list[str]) -> dict[str, str]:
        asked.append(names)
        return {n: argv[argv.index(f"--{n}") + 1] for n in names}

    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = resolve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "awsglue", types.ModuleType("awsglue"))
    monkeypatch.setitem(sys.modules, "awsglue.utils", utils)
    entry = _entry()
    argv = ["job", "--JOB_NAME", "x", "--config", "s3://b/p.yml", "--only", "shop.orders"]
    assert entry._glue_args(argv) == {"config": "s3://b/p.yml", "only": "shop.orders"}
    assert asked == [["config", "only"]]


def test_bad_config_is_a_short_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = _entry()
    bad = tmp_path / "p.yml"
    bad.write_text("sources: {x: {endpoints: {}}}\n")
    assert entry.main(["job", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "base_url" in err and "Traceback" not in err
    assert entry.main(["job", "--config", str(tmp_path / "missing.yml")]) == 2
