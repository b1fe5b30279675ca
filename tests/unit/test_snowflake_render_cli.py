"""`glueflake snowflake render` needs no runtime secret; an inline one is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from glueflake.cli import app
from glueflake.deploy.snowflake import SCRIPTS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "pipeline.snowflake.yml"


def test_render_the_example_without_any_secret_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "SNOWFLAKE_PASSWORD", "GLUEFLAKE_SHOP_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    out_dir = tmp_path / "snowflake"
    result = CliRunner().invoke(
        app, ["snowflake", "render", "-c", str(EXAMPLE), "--dir", str(out_dir)]
    )
    assert result.exit_code == 0, result.output
    for name in SCRIPTS:
        assert f"wrote {out_dir / name}" in result.output.replace("\n", "")
        assert (out_dir / name).read_text() == (REPO / "snowflake" / name).read_text(), name


def test_render_still_refuses_an_inline_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "inline-passphrase-never-printed"
    text = EXAMPLE.read_text().replace("${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}", secret)
    assert secret in text
    config = tmp_path / "pipeline.yml"
    config.write_text(text)
    out_dir = tmp_path / "snowflake"
    result = CliRunner().invoke(
        app, ["snowflake", "render", "-c", str(config), "--dir", str(out_dir)]
    )
    assert result.exit_code == 2
    assert "warehouse.private_key_passphrase: secrets must be written as ${ENV_VAR}" in (
        result.output.replace("\n", " ")
    )
    assert secret not in result.output
    assert not out_dir.exists()
