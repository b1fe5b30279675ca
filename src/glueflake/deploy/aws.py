"""Deploy the AWS side of production: the Glue job's artefacts and the CloudFormation stack.

What `deploy_aws` does, in order:

1. Reads the lake bucket and prefix from the pipeline config (``lake.url`` must be
   ``s3://bucket/prefix``) and, for a Snowflake warehouse, the storage-integration
   role name from ``warehouse.aws_role_arn``.
2. Builds the glueflake wheel (``pip wheel . --no-deps``) unless one is given.
3. Validates ``infra/glueflake.yml`` with CloudFormation, then creates or updates the
   stack and waits for it. Snowflake parameters not given on an update keep
   the stack's current values, so a re-deploy never resets the Snowflake trust policy.
4. Uploads ``glue/extract_api.py``, the config and the wheel to the scripts prefix of
   the lake bucket (before the stack update when the bucket already exists, after the
   create otherwise), which is where the Glue job reads them.

Nothing here holds credentials: boto3 finds them the usual way (environment, profile,
instance role). ``endpoint_url`` points every client at an S3/CloudFormation-protocol
server instead of AWS (the tests use moto on loopback).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glueflake.config import PipelineConfig
from glueflake.errors import PipelineError

DEFAULT_STACK = "glueflake"
DEFAULT_TEMPLATE = Path("infra/glueflake.yml")
DEFAULT_SCRIPT = Path("glue/extract_api.py")
SCRIPT_KEY_NAME = "extract_api.py"
CONFIG_KEY_NAME = "pipeline.yml"
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
#: Parameters that keep the stack's current value on an update unless given again.
_STICKY = ("SnowflakeIamUserArn", "SnowflakeExternalId", "SnowpipeQueueArn")
_NO_UPDATES = "No updates are to be performed"


class DeployError(PipelineError):
    """The AWS deployment failed; the message names the step and, for the stack, why."""


@dataclass(frozen=True)
class AwsDeploySettings:
    """Options of one deployment (every one has a CLI flag and an environment variable).

    Attributes:
        stack_name: CloudFormation stack.
        region: AWS region (default: ``lake.region`` of the config, then boto3's own).
        endpoint_url: send every AWS call here instead (a test server).
        template: the CloudFormation template.
        script: the Glue job script to upload.
        scripts_prefix: key prefix in the lake bucket for script, config and wheel.
        job_name: name of the Glue job (and prefix of its role and trigger names).
        schedule: Glue cron expression of the daily trigger.
        schedule_enabled: whether the trigger starts enabled.
        snowflake_iam_user_arn: STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION.
        snowflake_external_id: STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION.
        snowpipe_queue_arn: notification_channel from SHOW PIPES.
        wait_seconds: how long to wait for the stack to settle.
        poll_seconds: seconds between stack status polls.
    """

    stack_name: str = DEFAULT_STACK
    region: str | None = None
    endpoint_url: str | None = None
    template: Path = DEFAULT_TEMPLATE
    script: Path = DEFAULT_SCRIPT
    scripts_prefix: str = "glue"
    job_name: str = "glueflake-extract"
    schedule: str = "cron(0 3 * * ? *)"
    schedule_enabled: bool = True
    snowflake_iam_user_arn: str | None = None
    snowflake_external_id: str | None = None
    snowpipe_queue_arn: str | None = None
    wait_seconds: float = 1800.0
    poll_seconds: float = 10.0


@dataclass(frozen=True)
class Artefacts:
    """The files the Glue job needs at run time."""

    script: Path
    config: Path
    wheel: Path


@dataclass(frozen=True)
class AwsDeployResult:
    """What a deployment did.

    Attributes:
        stack_name: the stack.
        stack_id: its ARN.
        action: ``create``, ``update`` or ``unchanged``.
        status: the stack's final status.
        uploaded: ``s3://`` URLs of the uploaded artefacts.
        outputs: the stack's outputs (role ARNs, lake URL...).
    """

    stack_name: str
    stack_id: str
    action: str
    status: str
    uploaded: tuple[str, ...]
    outputs: Mapping[str, str] = field(default_factory=dict)

    def __rich__(self) -> str:
        lines = [f"stack {self.stack_name}: {self.action} -> {self.status}"]
        lines += [f"  uploaded {url}" for url in self.uploaded]
        lines += [f"  {key} = {value}" for key, value in sorted(self.outputs.items())]
        return "\n".join(lines)


# --- pure helpers -----------------------------------------------------------------


def lake_location(config: PipelineConfig) -> tuple[str, str]:
    """The lake bucket and key prefix from ``lake.url`` (``s3://bucket/prefix``).

    Raises:
        DeployError: the lake is not on S3, or has no prefix (the scripts and the lake
            share the bucket, so the lake must live under a prefix of its own).
    """
    url = config.lake.url
    if not config.lake.is_s3:
        raise DeployError(f"lake.url: the AWS deployment needs an s3:// lake (got {url!r})")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    if not bucket or not prefix:
        raise DeployError(
            f"lake.url: expected s3://<bucket>/<prefix> with a prefix, e.g. "
            f"s3://{bucket or 'my-bucket'}/glueflake (got {url!r})"
        )
    return bucket, prefix


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def stack_parameters(
    config: PipelineConfig,
    settings: AwsDeploySettings,
    wheel_name: str,
    *,
    previous: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """CloudFormation parameters for the template, from the config and settings.

    Args:
        config: the production pipeline config.
        settings: the deployment options.
        wheel_name: file name of the uploaded wheel.
        previous: the stack's current parameter values (None when creating). Each
            Snowflake parameter that is not given keeps its current value,
            passed explicitly (not ``UsePreviousValue``, which also breaks on
            parameters that were left at their default when the stack was made).

    Raises:
        DeployError: the scripts prefix overlaps the lake prefix.
    """
    bucket, prefix = lake_location(config)
    scripts = settings.scripts_prefix.strip("/")
    if not scripts or _overlaps(scripts, prefix):
        raise DeployError(
            f"scripts prefix {scripts!r} must be set and must not overlap the lake prefix "
            f"{prefix!r}"
        )
    values: dict[str, str | None] = {
        "LakeBucketName": bucket,
        "LakePrefix": prefix,
        "ScriptsPrefix": scripts,
        "GlueJobName": settings.job_name,
        "ScriptFileName": SCRIPT_KEY_NAME,
        "ConfigFileName": CONFIG_KEY_NAME,
        "WheelFileName": wheel_name,
        "ScheduleExpression": settings.schedule,
        "ScheduleEnabled": "true" if settings.schedule_enabled else "false",
        "SnowflakeIamUserArn": settings.snowflake_iam_user_arn,
        "SnowflakeExternalId": settings.snowflake_external_id,
        "SnowpipeQueueArn": settings.snowpipe_queue_arn,
    }
    role_arn = getattr(config.warehouse, "aws_role_arn", None)
    if role_arn:
        values["SnowflakeRoleName"] = str(role_arn).rsplit("/", 1)[-1]
    params: list[dict[str, Any]] = []
    for key, given in values.items():
        kept = previous.get(key) if previous is not None and key in _STICKY else None
        value = given if given is not None else kept
        if value is not None:
            params.append({"ParameterKey": key, "ParameterValue": value})
    return params


# --- steps --------------------------------------------------------------------------


def build_wheel(project_dir: Path, dist_dir: Path) -> Path:
    """Build the glueflake wheel with ``pip wheel --no-deps`` (no network needed).

    The build runs on a temporary copy of ``pyproject.toml``, ``README.md`` and
    ``src/``, so setuptools' ``build/`` folder never lands in the checkout.

    Returns:
        The wheel file, in ``dist_dir``.

    Raises:
        DeployError: pip failed or wrote no glueflake wheel.
    """
    import shutil
    import tempfile

    if not (project_dir / "pyproject.toml").is_file():
        raise DeployError(f"{project_dir}: no pyproject.toml to build the wheel from")
    dist_dir.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    with tempfile.TemporaryDirectory(prefix="glueflake-wheel-") as tmp:
        source = Path(tmp) / "src-tree"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (project_dir / name).is_file():
                shutil.copy2(project_dir / name, source / name)
        shutil.copytree(project_dir / "src", source / "src", ignore=ignore)
        out = Path(tmp) / "dist"
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(out),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DeployError(f"building the wheel failed: {done.stderr.strip() or done.stdout}")
        wheels = sorted(out.glob("glueflake-*.whl"))
        if not wheels:
            raise DeployError("pip wrote no glueflake wheel")
        target = dist_dir / wheels[-1].name
        shutil.copy2(wheels[-1], target)
    return target


def upload_artefacts(
    s3: Any, bucket: str, scripts_prefix: str, artefacts: Artefacts
) -> tuple[str, ...]:
    """Upload the script, config and wheel under ``s3://bucket/scripts_prefix/``.

    Returns:
        The ``s3://`` URLs written.

    Raises:
        DeployError: an upload failed.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = scripts_prefix.strip("/")
    plan = [
        (artefacts.script, SCRIPT_KEY_NAME),
        (artefacts.config, CONFIG_KEY_NAME),
        (artefacts.wheel, artefacts.wheel.name),
    ]
    urls = []
    for path, name in plan:
        key = f"{prefix}/{name}"
        try:
            s3.upload_file(str(path), bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise DeployError(f"uploading {path} to s3://{bucket}/{key} failed: {exc}") from None
        urls.append(f"s3://{bucket}/{key}")
    return tuple(urls)


def bucket_exists(s3: Any, bucket: str) -> bool:
    """Whether the bucket exists and is ours to use.

    Raises:
        DeployError: the bucket exists but this account may not use it.
    """
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied", "Forbidden"):
            raise DeployError(
                f"bucket {bucket} exists but is not accessible: pick another name in lake.url"
            ) from None
        raise DeployError(f"checking bucket {bucket} failed: {exc}") from None
    return True


def _stack(cfn: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise DeployError(f"describing stack {name} failed: {exc}") from None
    return dict(stacks[0]) if stacks else None


def _failure_reasons(cfn: Any, name: str) -> str:
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except Exception:  # the reason is a courtesy; never hide the original failure
        return ""
    reasons = [
        f"{e.get('LogicalResourceId')}: {e.get('ResourceStatusReason')}"
        for e in events
        if str(e.get("ResourceStatus", "")).endswith("FAILED") and e.get("ResourceStatusReason")
    ]
    return "; ".join(reasons[:5])


def deploy_stack(
    cfn: Any,
    name: str,
    template_body: str,
    parameters_for: Callable[[Mapping[str, str] | None], Sequence[dict[str, Any]]],
    *,
    wait_seconds: float = 1800.0,
    poll_seconds: float = 10.0,
) -> tuple[str, dict[str, Any]]:
    """Create the stack, or update it when it exists, and wait until it settles.

    Args:
        cfn: a boto3 CloudFormation client.
        name: stack name.
        template_body: the template text.
        parameters_for: ``callable(current parameter values or None) -> list`` of
            parameters (None when the stack is created).
        wait_seconds: give up waiting after this long.
        poll_seconds: delay between polls.

    Returns:
        (``create`` | ``update`` | ``unchanged``, the stack description).

    Raises:
        DeployError: the template is invalid, the stack is in a state that needs a
            person (e.g. ROLLBACK_COMPLETE after a failed create), or the change failed.
    """
    from botocore.exceptions import ClientError, WaiterError

    try:
        cfn.validate_template(TemplateBody=template_body)
    except ClientError as exc:
        raise DeployError(f"the template is not valid: {exc}") from None
    existing = _stack(cfn, name)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {name} is ROLLBACK_COMPLETE (its first create failed): delete it, fix "
            f"the cause ({_failure_reasons(cfn, name) or 'see its events'}) and deploy again"
        )
    if existing is not None and existing["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({existing['StackStatus']}); try again later")
    update = existing is not None
    current = (
        {
            str(p["ParameterKey"]): str(p.get("ParameterValue", ""))
            for p in existing.get("Parameters") or []
        }
        if existing is not None
        else None
    )
    kwargs = {
        "StackName": name,
        "TemplateBody": template_body,
        "Parameters": parameters_for(current),
        "Capabilities": CAPABILITIES,
        "Tags": [{"Key": "app", "Value": "glueflake"}],
    }
    try:
        if update:
            cfn.update_stack(**kwargs)
        else:
            cfn.create_stack(**kwargs)
    except ClientError as exc:
        if update and _NO_UPDATES in str(exc):
            return "unchanged", existing or {}
        raise DeployError(f"{'updating' if update else 'creating'} stack {name}: {exc}") from None
    waiter = cfn.get_waiter("stack_update_complete" if update else "stack_create_complete")
    delay = max(1, int(poll_seconds))
    try:
        waiter.wait(
            StackName=name,
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_seconds // delay))},
        )
    except WaiterError as exc:
        reasons = _failure_reasons(cfn, name)
        raise DeployError(
            f"stack {name} did not {'update' if update else 'create'}: {exc}"
            + (f" ({reasons})" if reasons else "")
        ) from None
    return ("update" if update else "create"), _stack(cfn, name) or {}


# --- the whole deployment ------------------------------------------------------------


def deploy_aws(
    config: PipelineConfig,
    config_path: Path,
    settings: AwsDeploySettings | None = None,
    *,
    wheel: Path | None = None,
    project_dir: Path = Path("."),
    session: Any = None,
) -> AwsDeployResult:
    """Build, upload and deploy the AWS side of a pipeline.

    Args:
        config: the production pipeline config (its lake on S3).
        config_path: the file of that config, uploaded for the Glue job to read.
        settings: stack name, region, schedule, Snowflake parameters...
        wheel: a glueflake wheel to upload; None builds one into a temporary folder.
        project_dir: the repository (for the wheel build and relative paths).
        session: a boto3 Session to use (default: a new one for the region).

    Returns:
        What was deployed and uploaded, with the stack's outputs.

    Raises:
        DeployError: a step failed; the message names it.
    """
    import tempfile

    settings = settings or AwsDeploySettings()
    lake_location(config)  # a lake that cannot be deployed fails before any work
    script = _resolve(project_dir, settings.script)
    template = _resolve(project_dir, settings.template)
    for path, what in (
        (script, "Glue job script"),
        (template, "template"),
        (config_path, "config"),
    ):
        if not path.is_file():
            raise DeployError(f"{path}: the {what} is missing")
    with tempfile.TemporaryDirectory(prefix="glueflake-dist-") as dist:
        if wheel is None:
            wheel = build_wheel(project_dir, Path(dist))
        if not wheel.is_file() or wheel.suffix != ".whl":
            raise DeployError(f"{wheel}: not a wheel file")
        artefacts = Artefacts(script=script, config=config_path, wheel=wheel)
        return _deploy(config, settings, artefacts, template, session)


def _deploy(
    config: PipelineConfig,
    settings: AwsDeploySettings,
    artefacts: Artefacts,
    template: Path,
    session: Any,
) -> AwsDeployResult:
    """The AWS part of `deploy_aws`, once the artefacts are on disk."""
    import boto3

    bucket, _ = lake_location(config)
    wheel = artefacts.wheel
    session = session or boto3.session.Session(region_name=settings.region or config.lake.region)
    s3 = session.client("s3", endpoint_url=settings.endpoint_url)
    cfn = session.client("cloudformation", endpoint_url=settings.endpoint_url)
    body = template.read_text(encoding="utf-8")

    def parameters_for(previous: Mapping[str, str] | None) -> Sequence[dict[str, Any]]:
        return stack_parameters(config, settings, wheel.name, previous=previous)

    parameters_for(None)  # fail on bad prefixes before touching AWS
    uploaded: tuple[str, ...] = ()
    if bucket_exists(s3, bucket):
        uploaded = upload_artefacts(s3, bucket, settings.scripts_prefix, artefacts)
    action, stack = deploy_stack(
        cfn,
        settings.stack_name,
        body,
        parameters_for,
        wait_seconds=settings.wait_seconds,
        poll_seconds=settings.poll_seconds,
    )
    if not uploaded:
        uploaded = upload_artefacts(s3, bucket, settings.scripts_prefix, artefacts)
    outputs = {
        str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stack.get("Outputs") or []
    }
    return AwsDeployResult(
        stack_name=settings.stack_name,
        stack_id=str(stack.get("StackId", "")),
        action=action,
        status=str(stack.get("StackStatus", "")),
        uploaded=uploaded,
        outputs=outputs,
    )


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path
