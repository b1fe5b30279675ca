"""Pure parts of the AWS deployment: lake location and stack parameters (no AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glueflake.config import PipelineConfig, load_config
from glueflake.deploy.aws import AwsDeploySettings, DeployError, lake_location, stack_parameters

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
    values = _values(stack_parameters(config, settings, "glueflake-0.1.0-py3-none-any.whl"))
    assert values["LakeBucketName"] == "acme-lake"
    assert values["LakePrefix"] == "glueflake"
    assert values["ScriptsPrefix"] == "glue"
    assert values["WheelFileName"] == "glueflake-0.1.0-py3-none-any.whl"
    assert values["ScheduleExpression"] == "cron(30 1 * * ? *)"
    assert values["ScheduleEnabled"] == "false"
    # not given on create: left to the template's defaults
    assert "SnowflakeIamUserArn" not in values and "SnowpipeQueueArn" not in values


def test_update_keeps_the_current_snowflake_values_unless_given(tmp_path: Path) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    current = {
        "SnowflakeIamUserArn": "arn:aws:iam::999999999999:user/sf",
        "SnowflakeExternalId": "EXT",
        "SnowpipeQueueArn": "arn:aws:sqs:us-east-1:999999999999:sf-snowpipe",
        "ScheduleExpression": "cron(0 5 * * ? *)",
    }
    values = _values(stack_parameters(config, AwsDeploySettings(), "w.whl", previous=current))
    assert values["SnowflakeIamUserArn"] == current["SnowflakeIamUserArn"]
    assert values["SnowflakeExternalId"] == "EXT"
    assert values["SnowpipeQueueArn"] == current["SnowpipeQueueArn"]
    assert values["ScheduleExpression"] == "cron(0 3 * * ? *)"  # settings win outside Snowflake
    given = AwsDeploySettings(snowpipe_queue_arn="")
    values = _values(stack_parameters(config, given, "w.whl", previous=current))
    assert values["SnowpipeQueueArn"] == ""  # an explicit empty value switches it off


def test_role_name_follows_the_snowflake_config(tmp_path: Path) -> None:
    warehouse = (
        "warehouse:\n  type: snowflake\n  account: acme\n  user: loader\n"
        "  password: ${SF_PASSWORD}\n"
        "  aws_role_arn: arn:aws:iam::123456789012:role/acme-lake-reader\n"
    )
    config = _config(tmp_path, "s3://acme-lake/glueflake", warehouse)
    values = _values(stack_parameters(config, AwsDeploySettings(), "w.whl"))
    assert values["SnowflakeRoleName"] == "acme-lake-reader"


@pytest.mark.parametrize("scripts", ["glueflake", "glueflake/glue", "", "/"])
def test_scripts_prefix_must_not_overlap_the_lake(tmp_path: Path, scripts: str) -> None:
    config = _config(tmp_path, "s3://acme-lake/glueflake")
    with pytest.raises(DeployError, match="scripts prefix"):
        stack_parameters(config, AwsDeploySettings(scripts_prefix=scripts), "w.whl")
