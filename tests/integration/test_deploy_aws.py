"""`deploy_aws` against moto in server mode on loopback: artefacts uploaded, stack made.

What moto (5.2) exercises here: template validation (it runs cfn-lint), stack create
and update with parameters, conditions and outputs, the S3 bucket (name, encryption),
both IAM roles with their trust policies and inline policies, and the S3 uploads.
What it does not: moto's CloudFormation has no AWS::Glue::Job, AWS::Glue::Trigger or
AWS::S3::BucketPolicy (it skips them with a warning and still completes the stack),
it ignores the bucket's versioning, public-access block, lifecycle and notification
properties, and a role update there does not apply a new trust policy. Those are
covered by the structural and cfn-lint checks in tests/unit/test_infra_template.py.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from glueflake.config import PipelineConfig, load_config
from glueflake.deploy.aws import AwsDeploySettings, DeployError, build_wheel, deploy_aws

pytestmark = [pytest.mark.integration, pytest.mark.s3]

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "glueflake.yml"
BUCKET = "glueflake-lake-test"
CONFIG = f"""
version: 1
lake: {{url: s3://{BUCKET}/glueflake, region: us-east-1}}
sources:
  shop:
    base_url: https://shop.example.com
    endpoints:
      orders: {{path: /api/orders, primary_key: id}}
"""


def _client(name: str, url: str) -> Any:
    import boto3

    return boto3.client(name, endpoint_url=url, region_name="us-east-1")


@pytest.fixture
def project(tmp_path: Path) -> tuple[PipelineConfig, Path, Path, Path]:
    """A config file, a Glue script and a (small, real-zip) wheel in tmp."""
    config_path = tmp_path / "pipeline.prod.yml"
    config_path.write_text(CONFIG, encoding="utf-8")
    script = tmp_path / "extract_api.py"
    real = REPO / "glue" / "extract_api.py"
    script.write_text(real.read_text() if real.is_file() else "print('extract')\n")
    wheel = tmp_path / "glueflake-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("glueflake/__init__.py", "")
    return load_config(config_path, environ={}), config_path, script, wheel


def _settings(url: str, script: Path, **extra: Any) -> AwsDeploySettings:
    return AwsDeploySettings(
        endpoint_url=url,
        region="us-east-1",
        template=TEMPLATE,
        script=script,
        poll_seconds=1,
        wait_seconds=60,
        **extra,
    )


def _deploy(url: str, project: tuple[PipelineConfig, Path, Path, Path], **extra: Any) -> Any:
    config, config_path, script, wheel = project
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: "no CloudFormation support for Glue::Job"
        return deploy_aws(
            config, config_path, _settings(url, script, **extra), wheel=wheel, project_dir=REPO
        )


def test_moto_validates_the_template(moto_server: str) -> None:
    cfn = _client("cloudformation", moto_server)
    # moto runs cfn-lint on the body and raises on its first finding
    reply = cfn.validate_template(TemplateBody=TEMPLATE.read_text(encoding="utf-8"))
    assert "glueflake" in reply["Description"]


def test_deploy_creates_the_stack_and_uploads_the_artefacts(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    _, config_path, script, wheel = project
    result = _deploy(moto_server, project)
    assert (result.action, result.status) == ("create", "CREATE_COMPLETE")
    assert result.uploaded == (
        f"s3://{BUCKET}/glue/extract_api.py",
        f"s3://{BUCKET}/glue/pipeline.yml",
        f"s3://{BUCKET}/glue/{wheel.name}",
    )
    s3 = _client("s3", moto_server)
    for key, source in (
        ("glue/extract_api.py", script),
        ("glue/pipeline.yml", config_path),
        (f"glue/{wheel.name}", wheel),
    ):
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == source.read_bytes()
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    assert result.outputs["LakeUrl"] == f"s3://{BUCKET}/glueflake"
    assert result.outputs["SnowflakeStorageRoleArn"].endswith(":role/glueflake-snowflake-lake-read")
    assert result.outputs["SnowflakeTrustConfigured"] == "false"

    iam = _client("iam", moto_server)
    glue_role = iam.get_role(RoleName="glueflake-extract-role")["Role"]
    assert glue_role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "glue.amazonaws.com"
    }
    policies = set(iam.list_role_policies(RoleName="glueflake-extract-role")["PolicyNames"])
    assert policies == {
        "lake-read-write",
        "scripts-read",
        "read-glueflake-secrets",
        "logs-and-metrics",
    }
    lake_policy = iam.get_role_policy(
        RoleName="glueflake-extract-role", PolicyName="lake-read-write"
    )
    # moto hands the document back as text (not always JSON): look for the resolved ARN
    assert f"arn:aws:s3:::{BUCKET}/glueflake/*" in str(lake_policy["PolicyDocument"])

    trust = iam.get_role(RoleName="glueflake-snowflake-lake-read")["Role"]
    statement = trust["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"  # placeholder
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "0000"

    cfn = _client("cloudformation", moto_server)
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cfn.describe_stacks(StackName="glueflake")["Stacks"][0]["Parameters"]
    }
    assert params["WheelFileName"] == wheel.name
    assert params["LakeBucketName"] == BUCKET and params["LakePrefix"] == "glueflake"
    created = {
        r["ResourceType"]
        for r in cfn.describe_stack_resources(StackName="glueflake")["StackResources"]
        if "ResourceType" in r
    }
    # what moto really made; Glue::Job/Trigger and BucketPolicy are skipped by moto
    assert {"AWS::S3::Bucket", "AWS::IAM::Role"} <= created


def test_second_deploy_sets_then_keeps_the_snowflake_trust(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    user = "arn:aws:iam::999999999999:user/abc1-s-snowflake"
    _deploy(moto_server, project)
    updated = _deploy(
        moto_server, project, snowflake_iam_user_arn=user, snowflake_external_id="XY_SFCRole=1"
    )
    assert updated.action == "update" and updated.status == "UPDATE_COMPLETE"
    assert updated.outputs["SnowflakeTrustConfigured"] == "true"
    # a third deploy that does not repeat the values keeps them (UsePreviousValue)
    again = _deploy(moto_server, project)
    assert again.outputs["SnowflakeTrustConfigured"] == "true"
    cfn = _client("cloudformation", moto_server)
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cfn.describe_stacks(StackName="glueflake")["Stacks"][0]["Parameters"]
    }
    assert params["SnowflakeIamUserArn"] == user
    assert params["SnowflakeExternalId"] == "XY_SFCRole=1"
    # moto's role update applies only Description/MaxSessionDuration, not a new
    # AssumeRolePolicyDocument: the trust policy itself is checked on create below.


def test_missing_script_fails_before_touching_aws(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path], tmp_path: Path
) -> None:
    config, config_path, _, wheel = project
    with pytest.raises(DeployError, match="Glue job script is missing"):
        deploy_aws(config, config_path, _settings(moto_server, tmp_path / "nope.py"), wheel=wheel)
    assert (
        "Buckets" not in _client("s3", moto_server).list_buckets()
        or not (_client("s3", moto_server).list_buckets()["Buckets"])
    )


def test_build_wheel_makes_an_installable_glueflake_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(REPO, tmp_path / "dist")
    assert wheel.name.startswith("glueflake-") and wheel.suffix == ".whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert "glueflake/config.py" in names
    assert any(n.endswith("METADATA") for n in names)


def test_trust_policy_on_create_takes_the_snowflake_user(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    user = "arn:aws:iam::999999999999:user/abc1-s-snowflake"
    _deploy(moto_server, project, snowflake_iam_user_arn=user, snowflake_external_id="XY_SFCRole=1")
    trust = _client("iam", moto_server).get_role(RoleName="glueflake-snowflake-lake-read")["Role"]
    statement = trust["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"]["AWS"] == user
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "XY_SFCRole=1"
