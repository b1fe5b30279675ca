"""Config errors: each bad input fails at load with a short message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from glueflake.config import ConfigError, PipelineConfig, load_config

SECRET = "s3cr3t-value-do-not-leak"
BASE = """
version: 1
sources:
  shop:
    base_url: http://api.test
    auth: {type: api_key, key: "${SHOP_KEY}"}
    endpoints:
      orders:
        path: /orders
        primary_key: id
        pagination: {type: page_number, page_size: 10}
"""


def _load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> PipelineConfig:
    path = tmp_path / "pipeline.yml"
    path.write_text(text)
    return load_config(path, {"SHOP_KEY": SECRET} if env is None else env)


def _error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text, env)
    message = str(info.value)
    assert "Traceback" not in message
    assert SECRET not in message
    assert len(message.splitlines()) <= 4, message
    return message


def test_valid_config_loads_and_hides_the_secret(tmp_path: Path) -> None:
    config = _load(tmp_path, BASE)
    auth = config.sources["shop"].auth
    assert auth.type == "api_key"
    assert auth.key.get_secret_value() == SECRET
    assert SECRET not in str(config)
    assert SECRET not in repr(config)
    assert SECRET not in config.model_dump_json()


def test_unknown_pagination_type(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("type: page_number", "type: pages"))
    assert "sources.shop.endpoints.orders.pagination" in message
    assert "page_number" in message  # says what was expected


def test_negative_page_size(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("page_size: 10", "page_size: -5"))
    assert "sources.shop.endpoints.orders.pagination.page_size" in message
    assert "greater than 0" in message


def test_missing_base_url(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("    base_url: http://api.test\n", ""))
    assert "sources.shop.base_url: required field is missing" in message


def test_bad_base_url(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace("http://api.test", "ftp://x"))
    assert "sources.shop.base_url" in message


def test_inline_secret(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE.replace('"${SHOP_KEY}"', SECRET))
    assert "sources.shop.auth.key" in message
    assert "${ENV_VAR}" in message


def test_a_variable_in_a_header_is_refused_not_sent_as_text(tmp_path: Path) -> None:
    text = BASE.replace(
        "    endpoints:", '    headers: {Authorization: "Bearer ${SHOP_KEY}"}\n    endpoints:'
    )
    message = _error(tmp_path, text)
    assert "sources.shop.headers: header 'Authorization': ${ENV_VAR} is resolved only" in message
    assert "auth" in message


def test_unset_secret_variable(tmp_path: Path) -> None:
    message = _error(tmp_path, BASE, env={})
    assert "sources.shop.auth.key" in message
    assert "SHOP_KEY is not set" in message


def test_env_override_naming_no_field(tmp_path: Path) -> None:
    env = {"SHOP_KEY": SECRET, "GLUEFLAKE__SOURCES__SHOP__TIMEOUTT": "3"}
    message = _error(tmp_path, BASE, env)
    assert "sources.shop.timeoutt" in message
    assert "GLUEFLAKE__SOURCES__SHOP__TIMEOUTT" in message
    assert "unknown field" in message


def test_env_override_sets_a_nested_value(tmp_path: Path) -> None:
    env = {
        "SHOP_KEY": SECRET,
        "GLUEFLAKE__SOURCES__SHOP__ENDPOINTS__ORDERS__PAGINATION__PAGE_SIZE": "250",
    }
    config = _load(tmp_path, BASE, env)
    pagination = config.sources["shop"].endpoints["orders"].pagination
    assert getattr(pagination, "page_size", None) == 250


def test_unknown_entity_in_only(tmp_path: Path) -> None:
    config = _load(tmp_path, BASE)
    assert config.select(["shop"]) == [("shop", "orders")]
    assert config.select(["shop.orders"]) == [("shop", "orders")]
    with pytest.raises(ConfigError) as info:
        config.select(["shop.refunds"])
    assert "shop.refunds" in str(info.value)
    assert "shop.orders" in str(info.value)  # lists what exists


def test_secret_never_in_validation_errors(tmp_path: Path) -> None:
    # A wrong type elsewhere must not echo the resolved secret.
    message = _error(tmp_path, BASE.replace("page_size: 10", "page_size: lots"))
    assert "page_size" in message


def test_default_pipeline_file_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "pipeline.yml", {})
    assert ("shop", "orders") in config.entities()
    assert config.sources["shop"].is_demo


def test_warehouse_path_override_on_a_config_without_a_warehouse_section(tmp_path: Path) -> None:
    # The documented example: the warehouse section is optional (DuckDB by default).
    env = {"SHOP_KEY": SECRET, "GLUEFLAKE__WAREHOUSE__PATH": "/tmp/w.duckdb"}
    config = _load(tmp_path, BASE, env)
    assert config.warehouse.type == "duckdb"
    assert config.warehouse.path == "/tmp/w.duckdb"


def test_warehouse_section_without_a_type_is_duckdb(tmp_path: Path) -> None:
    config = _load(tmp_path, BASE + "warehouse:\n  path: w.duckdb\n")
    assert config.warehouse.type == "duckdb"
    assert config.warehouse.path == "w.duckdb"


def test_env_override_replaces_a_mixed_case_key(tmp_path: Path) -> None:
    text = BASE.replace("primary_key: id", "primary_key: id\n        params: {pageSize: 10}")
    env = {"SHOP_KEY": SECRET, "GLUEFLAKE__SOURCES__SHOP__ENDPOINTS__ORDERS__PARAMS__PAGESIZE": "5"}
    config = _load(tmp_path, text, env)
    assert config.sources["shop"].endpoints["orders"].params == {"pageSize": 5}
