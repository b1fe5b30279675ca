"""Defect 7 (issue 13): dbt's prod profile and the rendered scripts name the same objects.

profiles.yml's prod target defaulted to TRANSFORMER / TRANSFORMING / ANALYTICS while
the scripts create GLUEFLAKE_TRANSFORMER / GLUEFLAKE_WH / GLUEFLAKE. The warehouse
section of the config is the one source: the profile's defaults equal its defaults
(this test fails on c4caac5), and dbt gets the config's names through the environment.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from glueflake.config import SnowflakeWarehouse, load_config
from glueflake.pipeline import dbt_settings

ROOT = Path(__file__).resolve().parents[2]


def _prod_defaults() -> dict[str, str]:
    prod = yaml.safe_load((ROOT / "profiles.yml").read_text())["glueflake"]["outputs"]["prod"]
    found = {}
    for field in ("user", "role", "warehouse", "database"):
        match = re.fullmatch(r"\{\{ env_var\('(\w+)', '(\w*)'\) \}\}", prod[field])
        assert match, f"prod.{field}: {prod[field]}"
        found[match.group(1)] = match.group(2)
    return found


def test_profile_defaults_are_the_config_defaults() -> None:
    section = SnowflakeWarehouse(type="snowflake", account="a", user="u")
    expected = section.dbt_environment()
    expected.pop("SNOWFLAKE_ACCOUNT")  # no default: every account differs
    assert _prod_defaults() == expected
    assert expected == {
        "SNOWFLAKE_USER": "GLUEFLAKE_DBT_USER",
        "SNOWFLAKE_ROLE": "GLUEFLAKE_TRANSFORMER",
        "SNOWFLAKE_WAREHOUSE": "GLUEFLAKE_WH",
        "SNOWFLAKE_DATABASE": "GLUEFLAKE",
    }


def test_dbt_gets_the_configs_own_names(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(
        """
version: 1
lake: {url: "s3://acme-lake/glueflake"}
warehouse:
  type: snowflake
  account: acme-prod
  user: LOADER
  password: ${P}
  database: ACME
  warehouse: ACME_WH
  dbt_role: ACME_DBT
sources:
  s: {base_url: "http://x.test", endpoints: {e: {path: /e, primary_key: id}}}
""",
        encoding="utf-8",
    )
    settings = dbt_settings(load_config(path, resolve_secrets=False), target="prod")
    assert settings.env_defaults == {
        "SNOWFLAKE_ACCOUNT": "acme-prod",
        "SNOWFLAKE_USER": "GLUEFLAKE_DBT_USER",
        "SNOWFLAKE_ROLE": "ACME_DBT",
        "SNOWFLAKE_WAREHOUSE": "ACME_WH",
        "SNOWFLAKE_DATABASE": "ACME",
    }
