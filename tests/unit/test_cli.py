"""`glueflake` commands on bad configuration: exit code 2, one message naming the field.

Run in-process with typer's CliRunner; every error is raised before any network,
file outside tmp or dbt is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from glueflake.cli import app

if TYPE_CHECKING:
    from conftest import DemoConfig

SECRET = "sk-live-d0-not-print-me-7731"
# A GLUEFLAKE* variable from the caller would override what is being tested.
pytestmark = pytest.mark.usefixtures("no_glueflake_env")


def _orders(raw: dict[str, Any]) -> dict[str, Any]:
    endpoint: dict[str, Any] = raw["sources"]["shop"]["endpoints"]["orders"]
    return endpoint


def _unknown_pagination(raw: dict[str, Any]) -> None:
    _orders(raw)["pagination"] = {"type": "infinite_scroll"}


def _negative_page_size(raw: dict[str, Any]) -> None:
    _orders(raw)["pagination"]["page_size"] = -5


def _missing_base_url(raw: dict[str, Any]) -> None:
    del raw["sources"]["shop"]["base_url"]


def _inline_secret(raw: dict[str, Any]) -> None:
    raw["sources"]["shop"]["auth"]["key"] = SECRET


BAD_CONFIGS: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "unknown pagination type": (
        _unknown_pagination,
        ["sources.shop.endpoints.orders.pagination:", "'infinite_scroll'", "link_header"],
    ),
    "negative page size": (
        _negative_page_size,
        ["sources.shop.endpoints.orders.pagination.page_size:", "greater than 0", "-5"],
    ),
    "missing base_url": (
        _missing_base_url,
        ["sources.shop.base_url: required field is missing"],
    ),
    "inline secret": (
        _inline_secret,
        ["sources.shop.auth.key: secrets must be written as ${ENV_VAR}, not inline"],
    ),
}
COMMANDS = {
    "run": ["run", "--no-progress", "--demo-day", "10"],
    "extract": ["extract", "--no-progress"],
    "load": ["load", "--no-progress"],
    "status": ["status"],
    "transform": ["transform", "--no-progress"],
}


@pytest.fixture
def base(tmp_path: Path, demo_config: DemoConfig) -> dict[str, Any]:
    """The demo pipeline's config, its lake and warehouse in tmp."""
    return demo_config(tmp_path)


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args)


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_naming_the_field(
    tmp_path: Path, demo_config: DemoConfig, base: dict[str, Any], case: str, command: str
) -> None:
    mutate, expected = BAD_CONFIGS[case]
    raw = base
    mutate(raw)
    path = demo_config.write(tmp_path, raw)
    result = _invoke([*COMMANDS[command], "-c", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    output = _flat(result.output)
    assert output.startswith(f"error: {path}: invalid configuration")
    for text in expected:
        assert text in output
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    assert len(result.output.splitlines()) <= 6, "a short message, not a dump"
    # Nothing was created: the run stopped before the lake or the warehouse.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.yml"]


def test_missing_base_url_and_unset_key_are_both_named(
    tmp_path: Path, demo_config: DemoConfig, base: dict[str, Any]
) -> None:
    raw = base
    _missing_base_url(raw)
    result = _invoke(["status", "-c", str(demo_config.write(tmp_path, raw))])
    assert result.exit_code == 2
    output = _flat(result.output)
    # Without base_url the source is not the demo, so its key really is required.
    assert "sources.shop.auth.key: environment variable GLUEFLAKE_SHOP_API_KEY" in output
    assert "sources.shop.base_url: required field is missing" in output


def test_inline_secret_is_never_echoed_even_with_other_errors(
    tmp_path: Path, demo_config: DemoConfig, base: dict[str, Any]
) -> None:
    raw = base
    _inline_secret(raw)
    _negative_page_size(raw)
    raw["sources"]["shop"]["auth"]["location"] = "cookie"
    result = _invoke(["run", "--no-progress", "-c", str(demo_config.write(tmp_path, raw))])
    assert result.exit_code == 2
    output = _flat(result.output)
    assert "sources.shop.auth.key: secrets must be written as ${ENV_VAR}" in output
    assert "sources.shop.endpoints.orders.pagination.page_size" in output
    assert "sources.shop.auth.location" in output
    assert SECRET not in result.output


@pytest.mark.parametrize("command", ["extract", "load"])
@pytest.mark.parametrize("name", ["shop.nope", "nope", "restcountries.orders"])
def test_unknown_entity_in_only_exits_2_naming_it(
    tmp_path: Path, demo_config: DemoConfig, command: str, name: str
) -> None:
    path = demo_config.write(tmp_path)
    result = _invoke([command, "--no-progress", "-c", str(path), "--only", name])
    assert result.exit_code == 2, result.output
    output = _flat(result.output)
    assert output.startswith(f"error: unknown entity '{name}'")
    assert "configured: restcountries.countries, shop.customers, shop.orders" in output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.yml"]


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = _invoke(["run", "--no-progress", "-c", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert _flat(result.output) == f"error: {tmp_path / 'nope.yml'}: no such config file"


def test_negative_demo_day_is_a_usage_error(tmp_path: Path, demo_config: DemoConfig) -> None:
    path = demo_config.write(tmp_path)
    result = _invoke(["run", "--no-progress", "-c", str(path), "--demo-day", "-1"])
    assert result.exit_code == 2
    assert "--demo-day" in result.output
    assert "Traceback" not in result.output
