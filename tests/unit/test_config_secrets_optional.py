"""`load_config(resolve_secrets=False)`: a config for commands that need no credential.

Rendering Snowflake SQL needs names, not passwords: with ``resolve_secrets=False`` no
``${ENV_VAR}`` secret is read (an unset variable is no error), but a secret written
inline is still refused, naming the field and never echoing the value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from glueflake.config import ConfigError, PipelineConfig, SnowflakeWarehouse, load_config

SECRET = "inline-s3cr3t-do-not-echo"
CONFIG = """
version: 1
lake: {url: "s3://bucket/prefix"}
warehouse:
  type: snowflake
  account: myorg-myaccount
  user: LOADER
  private_key_path: ~/.snowflake/key.p8
  private_key_passphrase: ${SF_PASSPHRASE}
  password: ${SF_PASSWORD}
sources:
  api:
    base_url: http://api.test
    auth: {type: bearer, token: "${API_TOKEN}"}
    endpoints:
      things: {path: /things, primary_key: id}
  basic:
    base_url: http://basic.test
    auth: {type: basic, username: u, password: "${BASIC_PASSWORD}"}
    endpoints:
      items: {path: /items, primary_key: id}
  shop:
    base_url: demo
    auth: {type: api_key, key: "${SHOP_KEY}"}
    endpoints:
      orders: {path: /api/orders, primary_key: id}
"""


def _write(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "pipeline.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _warehouse(cfg: PipelineConfig) -> SnowflakeWarehouse:
    assert isinstance(cfg.warehouse, SnowflakeWarehouse)
    return cfg.warehouse


def test_unset_secrets_are_an_error_by_default(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path), environ={})
    message = str(info.value)
    assert "warehouse.private_key_passphrase: environment variable SF_PASSPHRASE is not set" in (
        message
    )
    assert "sources.api.auth.token: environment variable API_TOKEN is not set" in message


def test_without_resolving_unset_secrets_are_no_error(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path), environ={}, resolve_secrets=False)
    wh = _warehouse(cfg)
    assert wh.private_key_passphrase is None
    assert wh.password is None
    assert wh.private_key_path == "~/.snowflake/key.p8"  # non-secret fields as written
    # A source's auth type requires its secret: it is empty, so it authenticates nowhere.
    api_auth = cfg.sources["api"].auth
    assert api_auth.type == "bearer" and api_auth.token.get_secret_value() == ""
    basic_auth = cfg.sources["basic"].auth
    assert basic_auth.type == "basic" and basic_auth.password.get_secret_value() == ""
    shop_auth = cfg.sources["shop"].auth
    assert shop_auth.type == "api_key" and shop_auth.key.get_secret_value() == ""


def test_without_resolving_no_secret_is_read_even_when_set(tmp_path: Path) -> None:
    env = {"SF_PASSPHRASE": "p", "SF_PASSWORD": "w", "API_TOKEN": "t", "BASIC_PASSWORD": "b"}
    cfg = load_config(_write(tmp_path), environ=env, resolve_secrets=False)
    assert _warehouse(cfg).private_key_passphrase is None
    assert _warehouse(cfg).password is None
    api_auth = cfg.sources["api"].auth
    assert api_auth.type == "bearer" and api_auth.token.get_secret_value() == ""


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("private_key_passphrase: ${SF_PASSPHRASE}", "warehouse.private_key_passphrase"),
        ("password: ${SF_PASSWORD}", "warehouse.password"),
        ('token: "${API_TOKEN}"', "sources.api.auth.token"),
    ],
)
def test_inline_secret_is_still_refused(tmp_path: Path, written: str, field: str) -> None:
    name = written.split(":", 1)[0]
    text = CONFIG.replace(written, f'{name}: "{SECRET}"')
    assert SECRET in text
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), environ={}, resolve_secrets=False)
    message = str(info.value)
    assert f"{field}: secrets must be written as ${{ENV_VAR}}, not inline" in message
    assert SECRET not in message
    assert len(message.splitlines()) == 2, message  # the file line and this one problem


def test_inline_secret_from_an_env_override_is_still_refused(tmp_path: Path) -> None:
    env = {"GLUEFLAKE__WAREHOUSE__PASSWORD": SECRET}
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path), environ=env, resolve_secrets=False)
    assert "warehouse.password: secrets must be written as ${ENV_VAR}" in str(info.value)
    assert SECRET not in str(info.value)


def test_other_problems_are_still_named(tmp_path: Path) -> None:
    text = CONFIG.replace("base_url: http://api.test", "base_url: ftp://api.test")
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text), environ={}, resolve_secrets=False)
    message = str(info.value)
    assert "sources.api.base_url" in message
    assert "is not set" not in message


def test_env_overrides_still_apply(tmp_path: Path) -> None:
    env = {"GLUEFLAKE__WAREHOUSE__DATABASE": "OTHER_DB"}
    cfg = load_config(_write(tmp_path), environ=env, resolve_secrets=False)
    assert _warehouse(cfg).database == "OTHER_DB"


def test_example_snowflake_config_loads_without_secrets() -> None:
    root = Path(__file__).resolve().parents[2]
    cfg = load_config(root / "examples" / "pipeline.snowflake.yml", {}, resolve_secrets=False)
    assert _warehouse(cfg).private_key_passphrase is None
    with pytest.raises(ConfigError, match="SNOWFLAKE_PRIVATE_KEY_PASSPHRASE is not set"):
        load_config(root / "examples" / "pipeline.snowflake.yml", {})
