"""infra/glueflake.yml: parses with CloudFormation tags, every reference resolves, the
resources are configured as docs/aws.md promises, and cfn-lint finds no error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "glueflake.yml"
PSEUDO = {
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::URLSuffix",
    "AWS::NotificationARNs",
}
_SCALAR_TAGS = ("Ref", "Condition", "GetAZs", "ImportValue")


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that turns CloudFormation short tags into their long form."""


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    key = suffix if suffix in _SCALAR_TAGS[:2] else f"Fn::{suffix}"
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    assert isinstance(loaded, dict)
    return loaded


def _walk(node: Any) -> list[tuple[str, Any]]:
    """Every intrinsic function call in a template fragment, as (name, argument)."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            # an IAM statement's Condition is a mapping; the intrinsic takes a name
            intrinsic_condition = key == "Condition" and isinstance(value, str)
            if key == "Ref" or intrinsic_condition or key.startswith("Fn::"):
                found.append((key, value))
            found.extend(_walk(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_walk(item))
    return found


def _sub_names(argument: Any) -> list[str]:
    text, extra = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
    names = re.findall(r"\$\{([^}!]+)\}", text)
    return [n for n in names if n not in extra]


def test_every_reference_resolves(template: dict[str, Any]) -> None:
    params = set(template["Parameters"])
    resources = set(template["Resources"])
    conditions = set(template.get("Conditions", {}))
    assert not params & resources, "a parameter and a resource share a name"
    assert len(_walk(template)) > 40  # the walk really sees the intrinsics
    for name, argument in _walk(template):
        if name == "Ref":
            assert argument in params | resources | PSEUDO, f"Ref to unknown {argument}"
        elif name == "Fn::GetAtt":
            assert argument[0] in resources, f"GetAtt on unknown {argument[0]}"
        elif name == "Fn::Sub":
            for var in _sub_names(argument):
                base = var.split(".", 1)[0]
                assert var in PSEUDO or base in params | resources, f"Sub of unknown {var}"
                if "." in var:
                    assert base in resources, f"Sub attribute of non-resource {var}"
        elif name in ("Condition", "Fn::If"):
            cond = argument if name == "Condition" else argument[0]
            assert cond in conditions, f"unknown condition {cond}"
    for logical_id, resource in template["Resources"].items():
        if "Condition" in resource:
            assert resource["Condition"] in conditions, logical_id


def test_resource_types(template: dict[str, Any]) -> None:
    types = {k: v["Type"] for k, v in template["Resources"].items()}
    assert types == {
        "LakeBucket": "AWS::S3::Bucket",
        "LakeBucketPolicy": "AWS::S3::BucketPolicy",
        "GlueJobRole": "AWS::IAM::Role",
        "ExtractJob": "AWS::Glue::Job",
        "LoadTransformJob": "AWS::Glue::Job",
        "ChainRole": "AWS::IAM::Role",
        "Chain": "AWS::StepFunctions::StateMachine",
        "SchedulerRole": "AWS::IAM::Role",
        "Schedule": "AWS::Scheduler::Schedule",
        "AlertTopic": "AWS::SNS::Topic",
        "AlertSubscription": "AWS::SNS::Subscription",
        "AlertTopicPolicy": "AWS::SNS::TopicPolicy",
        "JobFailedRule": "AWS::Events::Rule",
        "ChainFailedRule": "AWS::Events::Rule",
        "SnowflakeStorageRole": "AWS::IAM::Role",
    }


def test_bucket_is_versioned_encrypted_private_and_notifies_snowpipe(
    template: dict[str, Any],
) -> None:
    bucket = template["Resources"]["LakeBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    cond, notification, otherwise = props["NotificationConfiguration"]["Fn::If"]
    assert cond == "HasSnowpipeQueue" and otherwise == {"Ref": "AWS::NoValue"}
    queue = notification["QueueConfigurations"][0]
    assert queue["Queue"] == {"Ref": "SnowpipeQueueArn"}
    assert queue["Event"] == "s3:ObjectCreated:*"
    rules = {r["Name"]: r["Value"] for r in queue["Filter"]["S3Key"]["Rules"]}
    assert rules == {"prefix": {"Fn::Sub": "${LakePrefix}/raw/"}, "suffix": ".ndjson.gz"}
    policy = template["Resources"]["LakeBucketPolicy"]["Properties"]["PolicyDocument"]
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_glue_role_is_least_privilege(template: dict[str, Any]) -> None:
    role = template["Resources"]["GlueJobRole"]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "glue.amazonaws.com"}
    statements = _statements(role)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert not any(a.endswith(":*") or a == "*" for a in _actions(statement)), statement
        if statement["Resource"] == "*":
            assert statement["Condition"], f"unconditioned * resource: {statement}"
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["ReadWriteLakeObjects"]["Resource"] == {
        "Fn::Sub": "${LakeBucket.Arn}/${LakePrefix}/*"
    }
    assert set(_actions(by_sid["ReadWriteLakeObjects"])) == {"s3:GetObject", "s3:PutObject"}
    assert _actions(by_sid["ReadScripts"]) == ["s3:GetObject"]
    assert by_sid["ReadScripts"]["Resource"] == {"Fn::Sub": "${LakeBucket.Arn}/${ScriptsPrefix}/*"}
    assert "s3:prefix" in by_sid["ListLakePrefix"]["Condition"]["StringLike"]
    logs = by_sid["GlueLogGroups"]["Resource"][0]["Fn::Sub"]
    assert logs.endswith(":log-group:/aws-glue/*")
    every_action = {a for s in statements for a in _actions(s)}
    assert not {"s3:PutBucketPolicy", "iam:PassRole"} & every_action
    # Deleting is allowed for the extract's leases only (issue 15), never for data.
    deleting = [s for s in statements if "s3:DeleteObject" in _actions(s)]
    assert [s["Sid"] for s in deleting] == ["ReleaseLeases"]
    assert _actions(deleting[0]) == ["s3:DeleteObject"]
    assert deleting[0]["Resource"] == {"Fn::Sub": "${LakeBucket.Arn}/${LakePrefix}/_state/leases/*"}


def test_glue_job_runs_the_extract_script_with_config_and_wheel(template: dict[str, Any]) -> None:
    job = template["Resources"]["ExtractJob"]["Properties"]
    # glueflake needs Python 3.11: Glue 5.0 jobs have it, Python shell jobs stop at 3.9.
    assert job["Command"]["Name"] == "glueetl"
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["ScriptLocation"] == {
        "Fn::Sub": "s3://${LakeBucket}/${ScriptsPrefix}/${ScriptFileName}"
    }
    assert template["Parameters"]["ScriptFileName"]["Default"] == "extract_api.py"
    args = job["DefaultArguments"]
    assert args["--config"] == {"Fn::Sub": "s3://${LakeBucket}/${ScriptsPrefix}/${ConfigFileName}"}
    assert args["--additional-python-modules"] == {
        "Fn::Sub": "s3://${LakeBucket}/${ScriptsPrefix}/${WheelFileName}"
    }
    assert job["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    assert job["Role"] == {"Fn::GetAtt": ["GlueJobRole", "Arn"]}


def test_both_jobs_get_the_secrets_id_parameter(template: dict[str, Any]) -> None:
    """Defect 1 (issue 13): nothing could set --secrets-id; now a stack parameter does."""
    assert template["Parameters"]["SecretsId"]["Default"].startswith("glueflake/")
    for job in ("ExtractJob", "LoadTransformJob"):
        args = template["Resources"][job]["Properties"]["DefaultArguments"]
        assert args["--secrets-id"] == {"Ref": "SecretsId"}, job
    load = template["Resources"]["LoadTransformJob"]["Properties"]
    assert load["GlueVersion"] == "5.0" and load["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    args = load["DefaultArguments"]
    assert args["--dbt-project"] == {
        "Fn::Sub": "s3://${LakeBucket}/${ScriptsPrefix}/${DbtProjectFileName}"
    }
    assert args["--target"] == {"Ref": "DbtTarget"}
    assert template["Parameters"]["DbtTarget"]["Default"] == "prod"
    modules = args["--additional-python-modules"]["Fn::Sub"]
    assert modules.endswith("${WheelFileName},${LoadTransformPythonModules}")
    assert "dbt-snowflake==" in template["Parameters"]["LoadTransformPythonModules"]["Default"]


def test_schedule_state_follows_the_parameter_on_every_update(template: dict[str, Any]) -> None:
    """Defect 6 (issue 13): a Glue trigger's StartOnCreation acts only when it is made.

    An EventBridge Scheduler schedule's State is an ordinary property: an update that
    flips ScheduleEnabled really enables or disables it.
    """
    resources = template["Resources"]
    assert not [r for r in resources.values() if r["Type"] == "AWS::Glue::Trigger"]
    assert "StartOnCreation" not in str(resources)
    schedule = resources["Schedule"]["Properties"]
    assert schedule["State"] == {"Fn::If": ["ScheduleOn", "ENABLED", "DISABLED"]}
    assert template["Conditions"]["ScheduleOn"] == {
        "Fn::Equals": [{"Ref": "ScheduleEnabled"}, "true"]
    }
    assert schedule["ScheduleExpression"] == {"Ref": "ScheduleExpression"}
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["Target"]["Arn"] == {"Ref": "Chain"}  # the whole chain, not one job
    default = template["Parameters"]["ScheduleExpression"]["Default"]
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", default), default
    start = resources["SchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert start["Statement"][0]["Action"] == "states:StartExecution"
    assert start["Statement"][0]["Resource"] == {"Ref": "Chain"}


def _chain(template: dict[str, Any]) -> dict[str, Any]:
    import json

    text = template["Resources"]["Chain"]["Properties"]["DefinitionString"]["Fn::Sub"]
    for name in ("GlueJobName", "LoadTransformJobName", "AWS::Partition"):
        text = text.replace("${" + name + "}", name)
    definition: dict[str, Any] = json.loads(text)
    return definition


def test_chain_runs_extract_then_load_transform_one_at_a_time(template: dict[str, Any]) -> None:
    chain = _chain(template)
    states = chain["States"]
    order, name = [], chain["StartAt"]
    while name:
        order.append(name)
        state = states[name]
        name = state.get("Next") or state.get("Default")
    assert order == ["OneChainAtATime", "AnotherChainRunning?", "Extract", "LoadAndTransform"]
    guard = states["OneChainAtATime"]
    assert guard["Resource"].endswith(":states:::aws-sdk:sfn:listExecutions")
    assert guard["Parameters"]["StatusFilter"] == "RUNNING"
    choice = states["AnotherChainRunning?"]["Choices"][0]
    assert choice["NumericGreaterThan"] == 1 and choice["Next"] == "ChainAlreadyRunning"
    assert states["ChainAlreadyRunning"]["Type"] == "Fail"
    for step, job in (("Extract", "GlueJobName"), ("LoadAndTransform", "LoadTransformJobName")):
        # .sync: the chain waits for the job run, and a failed run fails the chain
        assert states[step]["Resource"].endswith(":states:::glue:startJobRun.sync")
        assert states[step]["Parameters"] == {"JobName": job}
    assert states["LoadAndTransform"]["End"] is True


def test_failures_alert_the_topic(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    job_rule = resources["JobFailedRule"]["Properties"]
    assert job_rule["EventPattern"]["detail"]["jobName"] == [
        {"Ref": "ExtractJob"},
        {"Ref": "LoadTransformJob"},
    ]
    assert {"FAILED", "TIMEOUT"} <= set(job_rule["EventPattern"]["detail"]["state"])
    chain_rule = resources["ChainFailedRule"]["Properties"]
    assert chain_rule["EventPattern"]["detail"]["stateMachineArn"] == [{"Ref": "Chain"}]
    assert {"FAILED", "TIMED_OUT", "ABORTED"} == set(chain_rule["EventPattern"]["detail"]["status"])
    for rule in (job_rule, chain_rule):
        assert rule["Targets"][0]["Arn"] == {"Ref": "AlertTopic"}
    subscription = resources["AlertSubscription"]
    assert subscription["Condition"] == "HasAlertEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    policy = resources["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Principal"] == {"Service": "events.amazonaws.com"}
    # EventBridge cannot publish to a topic under the AWS-managed aws/sns key
    assert "KmsMasterKeyId" not in resources["AlertTopic"]["Properties"]


def test_artefact_keys_are_parameters(template: dict[str, Any]) -> None:
    """deploy-aws passes content-hashed keys (<sha>/<name>) for every artefact."""
    pattern = re.compile(template["Parameters"]["WheelFileName"]["AllowedPattern"])
    assert pattern.match("0123456789abcdef/glueflake-0.1.0-py3-none-any.whl")
    for name in ("ScriptFileName", "LoadTransformScriptFileName", "ConfigFileName"):
        assert re.match(template["Parameters"][name]["AllowedPattern"], "0123abcd/x.py"), name


def test_snowflake_role_trusts_the_integration_user_with_external_id(
    template: dict[str, Any],
) -> None:
    role = template["Resources"]["SnowflakeStorageRole"]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    cond, user, placeholder = trust["Principal"]["AWS"]["Fn::If"]
    assert cond == "HasSnowflakeUser" and user == {"Ref": "SnowflakeIamUserArn"}
    assert placeholder == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    assert trust["Condition"]["StringEquals"]["sts:ExternalId"] == {"Ref": "SnowflakeExternalId"}
    actions = {a for s in _statements(role) for a in _actions(s)}
    assert actions == {
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:GetObjectVersion",
    }


@pytest.mark.parametrize("path", sorted(TEMPLATE.parent.glob("*.yml")), ids=lambda p: p.name)
def test_cfn_lint_finds_no_error(path: Path) -> None:
    """Every template in infra/ (make lint runs the same)."""
    lint = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    config = lint.ManualArgs(regions=["us-east-1", "eu-west-1"])
    matches = lint.lint_file(path, config=config)
    problems = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches]
    assert problems == []
