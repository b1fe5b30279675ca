"""Rendering Snowflake SQL from config: validation, the SQL-values guard, statements."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from snowflake_fixtures import snowflake_config

from glueflake.deploy.snowflake import (
    SCRIPTS,
    first_line,
    render,
    render_scripts,
    split_statements,
)
from glueflake.load.snowflake.sql import (
    Ident,
    SnowflakeConfigError,
    copy_statement,
    ident,
    snowflake_objects,
    template_environment,
    warehouse_config,
)


def test_on_error_pattern_and_names_come_from_config(tmp_path: Path) -> None:
    cfg = snowflake_config(tmp_path, on_error={"customers": "skip_file", "orders": "abort"})
    pipes = render_scripts(cfg)["snowpipe_trigger.sql"]
    blocks = {first_line(s): s for s in split_statements(pipes)}
    orders = blocks["create pipe if not exists GLUEFLAKE.LANDING.SHOP__ORDERS_PIPE"]
    assert "on_error = ABORT_STATEMENT" in orders
    assert "auto_ingest = true" in orders
    assert "from @GLUEFLAKE.LANDING.GLUEFLAKE_LAKE/raw/shop/orders/" in orders
    assert (
        r"pattern = '.*raw/shop/orders/ingest_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+[.]ndjson[.]gz'"
        in orders
    )
    customers = blocks["create pipe if not exists GLUEFLAKE.LANDING.SHOP__CUSTOMERS_PIPE"]
    assert "on_error = SKIP_FILE" in customers
    countries = blocks["create pipe if not exists GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES_PIPE"]
    assert "on_error = CONTINUE" in countries
    for column in (
        "metadata$filename",
        "metadata$file_row_number",
        "metadata$file_last_modified",
        "metadata$start_scan_time",
    ):
        assert column in orders


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("warehouse.database", 'GLUE"; drop database x; --'),
        ("warehouse.landing_schema", "landing schema"),
        ("warehouse.stage", "select"),
        ("warehouse.role", "1ROLE"),
        ("warehouse.storage_integration", "s3-int"),
        ("warehouse.warehouse", "wh;"),
        ("warehouse.user", "jane.doe@example.com"),
        ("warehouse.aws_role_arn", "arn:aws:iam::123:role/x' or '1"),
        ("lake.url", "s3://Bad_Bucket/x"),
    ],
)
def test_invalid_names_are_refused_naming_the_field(tmp_path: Path, field: str, value: str) -> None:
    cfg = snowflake_config(tmp_path, extra={field: value})
    with pytest.raises(SnowflakeConfigError, match=rf"^{field.replace('.', r'[.]')}: "):
        render_scripts(cfg)


def test_a_relative_private_key_path_is_taken_from_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glueflake.deploy.snowflake import connect

    cfg = snowflake_config(tmp_path, extra={"warehouse.private_key_path": "keys/loader.p8"})
    key = tmp_path / "keys" / "loader.p8"
    assert warehouse_config(cfg).private_key_path == str(key)
    monkeypatch.chdir(tmp_path.parent)  # not the config's folder
    with pytest.raises(SnowflakeConfigError, match=f"no such file '{key}'"):
        connect(warehouse_config(cfg))  # fails on the key before any network


def test_local_lake_cannot_be_staged(tmp_path: Path) -> None:
    cfg = snowflake_config(tmp_path, lake_url=str(tmp_path / "lake"))
    with pytest.raises(SnowflakeConfigError, match=r"^lake\.url: .* not on S3"):
        render(cfg, tmp_path / "out")


def test_template_refuses_unvalidated_text() -> None:
    env = template_environment()
    with pytest.raises(TypeError, match="refusing to splice str"):
        env.from_string("grant usage on database {{ name }} to role x").render(name="x; drop")
    assert env.from_string("use database {{ name }}").render(name=Ident("DB")) == "use database DB"


def test_ident_uppercases_and_rejects_reserved() -> None:
    assert ident("glueflake_wh", "f").name == "GLUEFLAKE_WH"
    with pytest.raises(SnowflakeConfigError, match="f: 'table' is a reserved word"):
        ident("table", "f")


def test_copy_statement_names_only_committed_files(tmp_path: Path) -> None:
    cfg = snowflake_config(tmp_path)
    objects = snowflake_objects(cfg)
    sql = copy_statement(
        objects,
        objects.entity("shop", "orders"),
        ["ingest_date=2026-11-28/r-00001.ndjson.gz", "ingest_date=2026-11-28/r-00002.ndjson.gz"],
        force=True,
    )
    assert "'ingest_date=2026-11-28/r-00001.ndjson.gz'," in sql and "files = (" in sql
    assert "pattern" not in sql and "force = true" in sql
    with pytest.raises(SnowflakeConfigError, match="lake key"):
        copy_statement(objects, objects.entity("shop", "orders"), ["x'); drop table t; --"])


def test_split_statements_keeps_quotes_and_skips_comment_only_chunks() -> None:
    sql = "-- header\n\nselect ';' as a; -- trailing\n/* c; */ select 'it''s';\n-- only a comment\n"
    parts = split_statements(sql)
    assert parts == ["-- header\n\nselect ';' as a", "-- trailing\n/* c; */ select 'it''s'"]
    assert first_line(parts[0]) == "select ';' as a"


def test_committed_scripts_match_the_example_config(monkeypatch: Any) -> None:
    """snowflake/*.sql in the repo are what the example config renders today (no secrets)."""
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", raising=False)
    from glueflake.config import load_config

    cfg = load_config(repo / "examples" / "pipeline.snowflake.yml", resolve_secrets=False)
    scripts = render_scripts(cfg)
    for name in SCRIPTS:
        assert (repo / "snowflake" / name).read_text() == scripts[name], name
