"""Pure parts of the AWS deployment: lake location and stack parameters (no AWS)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from glueflake.config import PipelineConfig, load_config
from glueflake.deploy.aws import (
    AwsDeploySettings,
    DeployError,
    content_key,
    dbt_project_archive,
    lake_location,
    lock_pins,
    stack_parameters,
)

REPO = Path(__file__).resolve().parents[2]
KEYS = {"WheelFileName": "0123456789abcdef/glueflake-0.1.0-py3-none-any.whl"}

SOURCES = """
sources:
  shop:
    base_url: https://shop.example.com
    endpoints:
      orders: {path: /api/orders, primary_key: id}
"""


def _config(tmp_path: Path, lake: str, warehouse: str = "") -> PipelineConfig:
    path = tmp_path / "pipeline.yml"
    path.write_text(f"version: 1\nlake: {{url: {lake}}}\n{warehouse}{SOURCES}", encoding="utf-8")
    return load_config(path, environ={"SF_PASSWORD": "not-a-real-one"})


def _values(params: list[dict[str, object]]) -> dict[str, object]:
    return {str(p["ParameterKey"]): p["ParameterValue"] for p in params}


def test_lake_location_splits_bucket_and_prefix(tmp_path: Path) -> None:
    assert lake_location(_config(tmp_path, "s3://acme-lake/glueflake/")) == (
        "acme-lake",
        "glueflake",
    )
    assert lake_location(_config(tmp_path, "s3://acme-lake/a/b")) == ("acme-lake", "a/b")


@pytest.mark.parametrize(
    ("lake", "message"),
    [(".glueflake/lake", "needs an s3:// lake"), ("s3://acme-lake", "with a prefix")],
)
def test_lake_location_refuses_what_cannot_be_deployed(
    tmp_path: Path, lake: str, message: str
) -> None:
    with pytest.raises(DeployError, match=message):
        lake_location(_config(tmp_path, lake))


def test_parameters_on_create(tmp_path: Path) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    settings = AwsDeploySettings(schedule="cron(30 1 * * ? *)", schedule_enabled=False)
    values = _values(stack_parameters(config, settings, KEYS))
    assert values["LakeBucketName"] == "acme-lake"
    assert values["LakePrefix"] == "glueflake"
    assert values["ScriptsPrefix"] == "glue"
    assert values["WheelFileName"] == KEYS["WheelFileName"]
    assert values["ScheduleExpression"] == "cron(30 1 * * ? *)"
    assert values["ScheduleEnabled"] == "false"
    # not given on create: left to the template's defaults
    assert "SnowflakeIamUserArn" not in values and "SnowpipeQueueArn" not in values
    assert "SecretsId" not in values and "AlertEmail" not in values


def test_update_keeps_the_current_snowflake_values_unless_given(tmp_path: Path) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    current = {
        "SnowflakeIamUserArn": "arn:aws:iam::999999999999:user/sf",
        "SnowflakeExternalId": "EXT",
        "SnowpipeQueueArn": "arn:aws:sqs:us-east-1:999999999999:sf-snowpipe",
        "ScheduleExpression": "cron(0 5 * * ? *)",
    }
    values = _values(stack_parameters(config, AwsDeploySettings(), KEYS, previous=current))
    assert values["SnowflakeIamUserArn"] == current["SnowflakeIamUserArn"]
    assert values["SnowflakeExternalId"] == "EXT"
    assert values["SnowpipeQueueArn"] == current["SnowpipeQueueArn"]
    assert values["ScheduleExpression"] == "cron(0 3 * * ? *)"  # settings win outside Snowflake
    given = AwsDeploySettings(snowpipe_queue_arn="")
    values = _values(stack_parameters(config, given, KEYS, previous=current))
    assert values["SnowpipeQueueArn"] == ""  # an explicit empty value switches it off


def test_role_name_follows_the_snowflake_config(tmp_path: Path) -> None:
    warehouse = (
        "warehouse:\n  type: snowflake\n  account: acme\n  user: loader\n"
        "  password: ${SF_PASSWORD}\n"
        "  aws_role_arn: arn:aws:iam::123456789012:role/acme-lake-reader\n"
    )
    config = _config(tmp_path, "s3://acme-lake/glueflake", warehouse)
    values = _values(stack_parameters(config, AwsDeploySettings(), KEYS))
    assert values["SnowflakeRoleName"] == "acme-lake-reader"


@pytest.mark.parametrize("scripts", ["glueflake", "glueflake/glue", "", "/"])
def test_scripts_prefix_must_not_overlap_the_lake(tmp_path: Path, scripts: str) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    with pytest.raises(DeployError, match="scripts prefix"):
        stack_parameters(config, AwsDeploySettings(scripts_prefix=scripts), KEYS)


def test_secrets_id_and_alert_email_are_set_then_kept(tmp_path: Path) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    given = AwsDeploySettings(secrets_id="glueflake/prod", alert_email="data@example.com")
    values = _values(stack_parameters(config, given, KEYS))
    assert values["SecretsId"] == "glueflake/prod"
    assert values["AlertEmail"] == "data@example.com"
    kept = _values(stack_parameters(config, AwsDeploySettings(), KEYS, previous=values))  # type: ignore[arg-type]
    assert kept["SecretsId"] == "glueflake/prod" and kept["AlertEmail"] == "data@example.com"


def test_schedule_switch_is_a_parameter_every_deploy_sends(tmp_path: Path) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    on = _values(stack_parameters(config, AwsDeploySettings(), KEYS))
    off = _values(stack_parameters(config, AwsDeploySettings(schedule_enabled=False), KEYS))
    assert (on["ScheduleEnabled"], off["ScheduleEnabled"]) == ("true", "false")


def test_content_keys_change_with_the_content_only(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("print(1)\n")
    first = content_key(a, "extract_api.py")
    assert re.fullmatch(r"[0-9a-f]{16}/extract_api\.py", first)
    assert content_key(a, "extract_api.py") == first
    a.write_text("print(2)\n")
    assert content_key(a, "extract_api.py") != first


def test_dbt_project_archive_is_reproducible_and_complete(tmp_path: Path) -> None:
    one = dbt_project_archive(REPO, tmp_path / "1" / "dbt.zip")
    two = dbt_project_archive(REPO, tmp_path / "2" / "dbt.zip")
    assert one.read_bytes() == two.read_bytes()
    names = set(zipfile.ZipFile(one).namelist())
    assert {"dbt_project.yml", "profiles.yml", "models/raw/_raw__sources.yml"} <= names
    assert any(n.startswith("macros/") for n in names) and any(
        n.startswith("seeds/") for n in names
    )
    assert not any(n.startswith(("target/", "src/", ".glueflake/")) for n in names)


def test_load_job_packages_are_pinned_from_the_lock() -> None:
    pins = lock_pins(REPO / "requirements.lock")
    assert pins is not None
    names = [p.split("==")[0] for p in pins.split(",")]
    assert names == ["dbt-core", "dbt-snowflake", "snowflake-connector-python"]
    assert all(re.fullmatch(r"[\w.-]+==\d[\w.]*", p) for p in pins.split(","))
    # the template's default is the same pin set, so a hand deploy installs the same
    assert f"Default: {pins}" in (REPO / "infra" / "glueflake.yml").read_text()
