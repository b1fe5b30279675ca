"""Architecture labels come from the pipeline config; drawing fails clearly without dot."""

from __future__ import annotations

from pathlib import Path

import pytest

from glueflake.config import PipelineConfig, load_config
from glueflake.diagrams import architecture
from glueflake.diagrams.architecture import MAX_LISTED, architecture_labels, render_architecture
from glueflake.diagrams.errors import DiagramError
from glueflake.diagrams.render import render_dot

CONFIG = """
version: 1
lake: {url: s3://acme-lake/prod}
warehouse: {type: duckdb, path: /data/w.duckdb}
sources:
  crm:
    base_url: https://api.example.com/v2
    endpoints:
      contacts: {path: /contacts, primary_key: id}
      deals: {path: /deals, primary_key: id}
  weather:
    base_url: demo
    endpoints:
      stations: {path: /stations, primary_key: id}
"""


def _config(tmp_path: Path, text: str = CONFIG) -> PipelineConfig:
    path = tmp_path / "pipeline.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ={})


def test_labels_name_sources_entities_and_landing_tables(tmp_path: Path) -> None:
    labels = architecture_labels(_config(tmp_path))
    assert "crm (api.example.com): contacts, deals" in labels.apis
    assert "weather: stations" in labels.apis
    for table in ("landing.crm__contacts", "landing.crm__deals", "landing.weather__stations"):
        assert table in labels.landing_snowflake
        assert table in labels.duckdb
    assert "s3://acme-lake/prod/" in labels.s3_lake
    assert "/data/w.duckdb" in labels.duckdb
    assert "weather.stations" in labels.demo_api
    assert "glue/extract_api.py" in labels.glue_job
    assert "glue/load_transform.py" in labels.load_job and "dbt build" in labels.load_job


def test_labels_for_the_default_local_pipeline(tmp_path: Path) -> None:
    repo_config = Path(__file__).resolve().parents[2] / "pipeline.yml"
    config = load_config(repo_config, environ={})
    labels = architecture_labels(config)
    for source, entity in config.entities():
        assert f"landing.{source}__{entity}" in labels.landing_snowflake
    assert config.lake.url in labels.local_lake
    assert "s3://<lake-bucket>/" in labels.s3_lake


def test_long_entity_lists_are_cut(tmp_path: Path) -> None:
    endpoints = "\n".join(f"      e{i}: {{path: /e{i}, primary_key: id}}" for i in range(12))
    text = f"version: 1\nsources:\n  big:\n    base_url: demo\n    endpoints:\n{endpoints}\n"
    labels = architecture_labels(_config(tmp_path, text))
    lines = labels.landing_snowflake.splitlines()
    assert len(lines) == 1 + MAX_LISTED
    assert lines[-1] == f"+{12 - MAX_LISTED + 1} more"


def test_missing_dot_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("glueflake.diagrams.render.shutil.which", lambda _name: None)
    with pytest.raises(DiagramError, match="apt-get install graphviz"):
        render_dot("digraph { a -> b }", tmp_path / "x.png")
    with pytest.raises(DiagramError, match="`dot` is not on PATH"):
        render_architecture(_config(tmp_path), tmp_path / "a.png")


def test_unknown_picture_format_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(architecture, "require_dot", lambda: "/usr/bin/dot")
    with pytest.raises(DiagramError, match="png/svg/pdf/jpg"):
        render_architecture(_config(tmp_path), tmp_path / "a.bmp")
