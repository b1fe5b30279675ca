"""`deploy_aws` against moto in server mode on loopback: artefacts uploaded, stack made.

What moto (5.2) exercises here: template validation (it runs cfn-lint), stack create
and update with parameters, conditions and outputs, change sets (the dry run), the S3
bucket (name, encryption), the IAM roles with their trust policies and inline
policies, the Step Functions state machine (its definition), the SNS alert topic, the
two EventBridge rules, and the content-hashed S3 uploads.
What it does not: moto's CloudFormation has no AWS::Glue::Job,
AWS::Scheduler::Schedule, AWS::SNS::Subscription, AWS::SNS::TopicPolicy or
AWS::S3::BucketPolicy (it skips them with a warning and still completes the stack),
it ignores the bucket's versioning, public-access block, lifecycle and notification
properties, and a role update there does not apply a new trust policy. Those are
covered by the structural and cfn-lint checks in tests/unit/test_infra_template.py.
"""

from __future__ import annotations

import json
import re
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
    script.write_text((REPO / "glue" / "extract_api.py").read_text())
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


def _deploy(
    url: str,
    project: tuple[PipelineConfig, Path, Path, Path],
    *,
    dry_run: bool = False,
    **extra: Any,
) -> Any:
    config, config_path, script, wheel = project
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: "no CloudFormation support for Glue::Job"
        return deploy_aws(
            config,
            config_path,
            _settings(url, script, **extra),
            wheel=wheel,
            project_dir=REPO,
            dry_run=dry_run,
        )


def _keys(url: str) -> list[str]:
    listed = _client("s3", url).list_objects_v2(Bucket=BUCKET, Prefix="glue/")
    return sorted(o["Key"] for o in listed.get("Contents", []))


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
    names = [url.rsplit("/", 1)[-1] for url in result.uploaded]
    assert names == [
        "extract_api.py",
        "load_transform.py",
        "pipeline.yml",
        wheel.name,
        "dbt-project.zip",
    ]
    s3 = _client("s3", moto_server)
    for url, source in zip(
        result.uploaded[:4],
        (script, REPO / "glue" / "load_transform.py", config_path, wheel),
        strict=True,
    ):
        key = url.removeprefix(f"s3://{BUCKET}/")
        assert re.fullmatch(r"glue/[0-9a-f]{16}/[\w.+-]+", key), key
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
    assert f"glue/{params['WheelFileName']}" in [
        u.removeprefix(f"s3://{BUCKET}/") for u in result.uploaded
    ]
    assert params["WheelFileName"].endswith("/" + wheel.name)
    assert params["LakeBucketName"] == BUCKET and params["LakePrefix"] == "glueflake"
    created = {
        r["ResourceType"]
        for r in cfn.describe_stack_resources(StackName="glueflake")["StackResources"]
        if "ResourceType" in r
    }
    # what moto really made; Glue::Job, Scheduler::Schedule, SNS subscription and
    # policies, and the BucketPolicy are skipped by moto (structural tests cover them)
    assert {
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::StepFunctions::StateMachine",
        "AWS::SNS::Topic",
        "AWS::Events::Rule",
    } <= created
    chain = _client("stepfunctions", moto_server).describe_state_machine(
        stateMachineArn=result.outputs["ChainArn"]
    )
    definition = json.loads(chain["definition"])
    assert definition["States"]["Extract"]["Parameters"] == {"JobName": "glueflake-extract"}
    assert definition["States"]["LoadAndTransform"]["Parameters"] == {
        "JobName": "glueflake-load-transform"
    }
    rules = _client("events", moto_server).list_rules(NamePrefix="glueflake-extract-")["Rules"]
    assert {r["Name"] for r in rules} == {
        "glueflake-extract-job-failed",
        "glueflake-extract-chain-failed",
    }
    targets = _client("events", moto_server).list_targets_by_rule(
        Rule="glueflake-extract-chain-failed"
    )
    assert targets["Targets"][0]["Arn"] == result.outputs["AlertTopicArn"]


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


def test_dry_run_on_a_new_stack_lists_what_a_create_makes_and_uploads_nothing(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    result = _deploy(moto_server, project, dry_run=True)
    assert result.action == "dry-run" and result.uploaded == ()
    text = "\n".join(result.preview)
    assert "stack glueflake does not exist" in text
    for resource in ("LakeBucket (AWS::S3::Bucket)", "Chain (AWS::StepFunctions::StateMachine)"):
        assert f"+ Add {resource}" in text
    assert "would upload s3://glueflake-lake-test/glue/" in text
    assert _client("s3", moto_server).list_buckets().get("Buckets", []) == []
    cfn = _client("cloudformation", moto_server)
    assert not [
        s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    ]


def test_dry_run_on_an_existing_stack_prints_the_change_set_and_uploads_nothing(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    _deploy(moto_server, project)
    before = _keys(moto_server)
    _, config_path, _, _ = project
    config_path.write_text(CONFIG + "# changed\n", encoding="utf-8")  # a new config key
    result = _deploy(moto_server, project, dry_run=True, schedule_enabled=False)
    assert result.action == "dry-run" and result.uploaded == ()
    text = "\n".join(result.preview)
    assert text.startswith("stack glueflake: change set of")
    assert "parameter ScheduleEnabled = false" in text
    assert re.search(r"parameter ConfigFileName = [0-9a-f]{16}/pipeline.yml", text)
    assert _keys(moto_server) == before  # nothing uploaded
    cfn = _client("cloudformation", moto_server)
    assert cfn.list_change_sets(StackName="glueflake")["Summaries"] == []  # cleaned up
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cfn.describe_stacks(StackName="glueflake")["Stacks"][0]["Parameters"]
    }
    assert params["ScheduleEnabled"] == "true"  # the stack itself is untouched


def test_a_new_config_is_a_new_key_and_the_old_one_stays(
    moto_server: str, project: tuple[PipelineConfig, Path, Path, Path]
) -> None:
    """A failed update rolls back to the old keys: their objects must still be there."""
    first = _deploy(moto_server, project)
    _, config_path, _, _ = project
    config_path.write_text(CONFIG + "# v2\n", encoding="utf-8")
    second = _deploy(moto_server, project)
    old = next(u for u in first.uploaded if u.endswith("/pipeline.yml"))
    new = next(u for u in second.uploaded if u.endswith("/pipeline.yml"))
    assert old != new
    keys = _keys(moto_server)
    assert (
        old.removeprefix(f"s3://{BUCKET}/") in keys and new.removeprefix(f"s3://{BUCKET}/") in keys
    )
    # everything else kept its key: nothing but the config was uploaded again
    assert set(first.uploaded) - {old} == set(second.uploaded) - {new}
