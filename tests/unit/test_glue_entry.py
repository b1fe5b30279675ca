"""The Glue job entries: argv exactly as Glue passes it, secrets from Secrets Manager.

Defect 1 (issue 13): `--secrets-id` (the documented spelling) was dropped by Glue's
resolver and Glue's own arguments broke the argparse fallback. Defect 2: the extract
demanded the warehouse's key passphrase. Both fail on the code before the fix.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from glueflake.config import ConfigError, load_config
from glueflake.gluejob import EXTRACT_OPTIONS, export_secrets, job_args

ROOT = Path(__file__).resolve().parents[2]


def _entry(name: str = "extract_api") -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "glue" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def glue_argv(*job_args_: str) -> list[str]:
    """argv as Glue 5.0 builds it: its own arguments around the job's."""
    return [
        "/tmp/extract_api.py",
        "--JOB_ID",
        "j_0123",
        "--JOB_RUN_ID",
        "jr_0123",
        "--JOB_NAME",
        "glueflake-extract",
        "--TempDir",
        "s3://aws-glue-assets-123456789012-us-east-1/temporary/",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--enable-metrics",
        "true",
        "--job-language",
        "python",
        *job_args_,
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--some-future-glue-flag",
        "x",
    ]


@pytest.mark.parametrize("spelling", ["--secrets-id", "--secrets_id"])
def test_both_spellings_and_glue_arguments(spelling: str) -> None:
    argv = glue_argv("--config", "s3://b/glue/p.yml", spelling, "glueflake/prod", "--only", "shop")
    assert job_args(argv, EXTRACT_OPTIONS) == {
        "config": "s3://b/glue/p.yml",
        "secrets_id": "glueflake/prod",
        "only": "shop",
    }


def test_glue_conf_is_not_taken_for_config() -> None:
    with pytest.raises(ConfigError, match="--config: required"):
        job_args(glue_argv(), EXTRACT_OPTIONS)


CONFIG = """
version: 1
warehouse:
  type: snowflake
  account: myorg-myaccount
  user: GLUEFLAKE_LOADER_USER
  private_key_path: key.p8
  private_key_passphrase: ${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}
sources:
  api:
    base_url: http://127.0.0.1:9
    auth: {type: bearer, token: "${GLUEFLAKE_TEST_API_TOKEN}"}
    retries: {max_attempts: 1}
    endpoints:
      things: {path: /things, primary_key: id}
"""


@mock_aws
@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize("spelling", ["--secrets-id", "--secrets_id"])
def test_extract_job_reads_the_secret_and_not_the_warehouse_passphrase(
    spelling: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("GLUEFLAKE_TEST_API_TOKEN", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    boto3.client("secretsmanager").create_secret(
        Name="glueflake/prod", SecretString=json.dumps({"GLUEFLAKE_TEST_API_TOKEN": "t-1"})
    )
    config = tmp_path / "pipeline.prod.yml"
    config.write_text(CONFIG + f"lake: {{url: {tmp_path / 'lake'}}}\n", encoding="utf-8")
    code = _entry().main(glue_argv("--config", str(config), spelling, "glueflake/prod"))
    err = capsys.readouterr().err
    # The config resolved (token from the secret, no passphrase asked for): the run got
    # as far as the API, which is not there (exit 1, not the config error 2).
    assert code == 1, err
    assert "api.things" in err or "127.0.0.1" in err
    assert "private_key_passphrase" not in err and "t-1" not in err
    monkeypatch.delenv("GLUEFLAKE_TEST_API_TOKEN")


def test_stage_resolves_only_its_sections(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(CONFIG, encoding="utf-8")
    env = {"GLUEFLAKE_TEST_API_TOKEN": "t"}
    with pytest.raises(ConfigError, match="private_key_passphrase"):
        load_config(path, environ=env)
    extract = load_config(path, environ=env, resolve_secrets={"sources"})
    assert extract.warehouse.private_key_passphrase is None  # type: ignore[union-attr]
    passphrase = {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "p"}
    load = load_config(path, environ=passphrase, resolve_secrets={"warehouse"})
    assert load.warehouse.private_key_passphrase.get_secret_value() == "p"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unknown section"):
        load_config(path, environ=env, resolve_secrets={"lake"})


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_secrets_id_exports_each_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLUEFLAKE_SHOP_API_KEY", raising=False)
    boto3.client("secretsmanager").create_secret(
        Name="glueflake/shop", SecretString=json.dumps({"GLUEFLAKE_SHOP_API_KEY": "k-123"})
    )
    env: dict[str, str] = {}
    assert export_secrets("glueflake/shop", env) == ["GLUEFLAKE_SHOP_API_KEY"]
    assert env == {"GLUEFLAKE_SHOP_API_KEY": "k-123"}


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_secret_that_is_not_an_object_or_missing_is_refused() -> None:
    boto3.client("secretsmanager").create_secret(Name="glueflake/bad", SecretString='"x"')
    with pytest.raises(ConfigError, match="expected a JSON object"):
        export_secrets("glueflake/bad", {})
    with pytest.raises(ConfigError, match="glueflake/none: cannot read"):
        export_secrets("glueflake/none", {})


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_config_on_s3_with_a_local_lake_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A local lake named by a config on S3 would land in the job's temporary folder."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="conf")
    s3.put_object(Bucket="conf", Key="pipeline.yml", Body=(ROOT / "pipeline.yml").read_bytes())
    assert _entry().main(glue_argv("--config", "s3://conf/pipeline.yml")) == 2
    err = capsys.readouterr().err
    assert "lake.url" in err and "'.glueflake/lake'" in err and "s3://" in err


def test_bad_config_is_a_short_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entry = _entry()
    bad = tmp_path / "p.yml"
    bad.write_text("sources: {x: {endpoints: {}}}\n")
    assert entry.main(["job", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "base_url" in err and "Traceback" not in err
    assert entry.main(["job", "--config", str(tmp_path / "missing.yml")]) == 2
    assert _entry("load_transform").main(["job"]) == 2
    assert "--config: required" in capsys.readouterr().err
    assert os.environ.get("GLUEFLAKE_SHOP_API_KEY") != "k-123"


def test_dbt_project_archive_is_checked_before_unpacking(tmp_path: Path) -> None:
    import zipfile

    from glueflake.gluejob import unpack_dbt_project

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("dbt_project.yml", "name: x\n")
        zf.writestr("../outside.txt", "x")
    with pytest.raises(ConfigError, match="leaves the project"):
        unpack_dbt_project(evil, tmp_path / "a")
    assert not (tmp_path / "outside.txt").exists()
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("models/x.sql", "select 1")
    with pytest.raises(ConfigError, match=r"no dbt_project\.yml"):
        unpack_dbt_project(empty, tmp_path / "b")
    (tmp_path / "not.zip").write_text("no")
    with pytest.raises(ConfigError, match="not a zip"):
        unpack_dbt_project(tmp_path / "not.zip", tmp_path / "c")
