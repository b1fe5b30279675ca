"""Deploy the AWS side of production: the Glue job's artefacts and the CloudFormation stack.

What `deploy_aws` does, in order:

1. Reads the lake bucket and prefix from the pipeline config (``lake.url`` must be
   ``s3://bucket/prefix``) and, for a Snowflake warehouse, the storage-integration
   role name from ``warehouse.aws_role_arn``.
2. Builds the glueflake wheel (``pip wheel . --no-deps``) unless one is given, and a
   zip of the dbt project (what the load + transform job builds).
3. Names every artefact (both job scripts, the config, the wheel, the dbt project) by
   its content: ``<scripts prefix>/<sha256[:16]>/<file name>``. A key is never
   overwritten with other content, so a stack update that fails and rolls back to
   the old parameters runs the old files, never new code under the old stack.
4. Validates ``infra/glueflake.yml`` with CloudFormation, then creates or updates the
   stack and waits for it. Snowflake parameters (and the secret's name, the alert
   address) not given on an update keep the stack's current values, so a re-deploy
   never resets the Snowflake trust policy.
5. Uploads the artefacts not yet in the bucket (before the stack update when the
   bucket exists, after the create otherwise).

``dry_run`` builds and hashes the artefacts, uploads nothing and changes nothing: it
prints the CloudFormation change set of an update (then deletes it) and the template
diff, or, when the stack does not exist yet, every resource the template would create.

Nothing here holds credentials: boto3 finds them the usual way (environment, profile,
instance role). ``endpoint_url`` points every client at an S3/CloudFormation-protocol
server instead of AWS (the tests use moto on loopback).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from glueflake.config import PipelineConfig
from glueflake.errors import PipelineError

DEFAULT_STACK = "glueflake"
DEFAULT_TEMPLATE = Path("infra/glueflake.yml")
DEFAULT_SCRIPT = Path("glue/extract_api.py")
DEFAULT_LOAD_SCRIPT = Path("glue/load_transform.py")
CONFIG_KEY_NAME = "pipeline.yml"
DBT_PROJECT_NAME = "dbt-project.zip"
#: What the dbt project archive holds (paths relative to the project folder).
DBT_PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "snapshots",
    "tests/dbt",
)
#: Packages the load + transform job installs beside the wheel, pinned from the lock.
LOAD_TRANSFORM_PACKAGES = ("dbt-core", "dbt-snowflake", "snowflake-connector-python")
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
#: Parameters that keep the stack's current value on an update unless given again.
_STICKY = (
    "SnowflakeIamUserArn",
    "SnowflakeExternalId",
    "SnowpipeQueueArn",
    "SecretsId",
    "AlertEmail",
)
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
        script: the extract job's script to upload.
        load_script: the load + transform job's script to upload.
        scripts_prefix: key prefix in the lake bucket for the artefacts.
        job_name: name of the extract job (and prefix of its role, chain, schedule
            and alert topic names).
        load_job_name: name of the load + transform job.
        schedule: EventBridge Scheduler cron expression (UTC) starting the chain.
        schedule_enabled: the schedule's state (a stack update changes it).
        secrets_id: the Secrets Manager secret both jobs read (``--secrets-id``).
        alert_email: an address subscribed to the alert topic.
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
    load_script: Path = DEFAULT_LOAD_SCRIPT
    scripts_prefix: str = "glue"
    job_name: str = "glueflake-extract"
    load_job_name: str = "glueflake-load-transform"
    schedule: str = "cron(0 3 * * ? *)"
    schedule_enabled: bool = True
    secrets_id: str | None = None
    alert_email: str | None = None
    snowflake_iam_user_arn: str | None = None
    snowflake_external_id: str | None = None
    snowpipe_queue_arn: str | None = None
    wait_seconds: float = 1800.0
    poll_seconds: float = 10.0


@dataclass(frozen=True)
class Artefact:
    """A file the Glue jobs need at run time, and the template parameter naming its key.

    Attributes:
        parameter: the stack parameter that holds its key (relative to the prefix).
        path: the local file.
        name: the file name in the key.
    """

    parameter: str
    path: Path
    name: str

    @property
    def key(self) -> str:
        """``<sha256[:16]>/<name>``: a new content is a new key, never an overwrite."""
        return content_key(self.path, self.name)


def content_key(path: Path, name: str) -> str:
    """The content-hashed key of a file: the first 16 hex digits of its SHA-256, its name."""
    import hashlib

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{digest[:16]}/{name}"


@dataclass(frozen=True)
class AwsDeployResult:
    """What a deployment did.

    Attributes:
        stack_name: the stack.
        stack_id: its ARN.
        action: ``create``, ``update``, ``unchanged`` or ``dry-run``.
        status: the stack's final status.
        uploaded: ``s3://`` URLs of the uploaded artefacts.
        outputs: the stack's outputs (role ARNs, lake URL...).
        preview: for a dry run, the change set (or the resources a create would
            make), the parameters and the template diff, one line each.
    """

    stack_name: str
    stack_id: str
    action: str
    status: str
    uploaded: tuple[str, ...]
    outputs: Mapping[str, str] = field(default_factory=dict)
    preview: tuple[str, ...] = ()

    def __rich__(self) -> str:
        lines = [f"stack {self.stack_name}: {self.action} -> {self.status}"]
        lines += [f"  uploaded {url}" for url in self.uploaded]
        lines += [f"  {key} = {value}" for key, value in sorted(self.outputs.items())]
        lines += list(self.preview)
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
    keys: Mapping[str, str],
    *,
    previous: Mapping[str, str] | None = None,
    python_modules: str | None = None,
) -> list[dict[str, Any]]:
    """CloudFormation parameters for the template, from the config and settings.

    Args:
        config: the production pipeline config.
        settings: the deployment options.
        keys: artefact keys (relative to the scripts prefix) by template parameter
            (``WheelFileName``, ``ScriptFileName``...).
        previous: the stack's current parameter values (None when creating). Each
            sticky parameter (the Snowflake ones, the secret's name, the alert
            address) that is not given keeps its current value, passed explicitly
            (not ``UsePreviousValue``, which also breaks on parameters that were
            left at their default when the stack was made).
        python_modules: the load + transform job's pinned packages (None: the
            template's default).

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
        "LoadTransformJobName": settings.load_job_name,
        **dict(keys),
        "LoadTransformPythonModules": python_modules,
        "ScheduleExpression": settings.schedule,
        "ScheduleEnabled": "true" if settings.schedule_enabled else "false",
        "SecretsId": settings.secrets_id,
        "AlertEmail": settings.alert_email,
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


def dbt_project_archive(project_dir: Path, target: Path) -> Path:
    """Zip the dbt project (`DBT_PROJECT_PARTS`) for the load + transform job.

    The archive is reproducible (sorted members, fixed timestamps), so an unchanged
    project keeps its content-hashed key and a re-deploy uploads nothing new.

    Raises:
        DeployError: the project has no dbt_project.yml.
    """
    import zipfile

    if not (project_dir / "dbt_project.yml").is_file():
        raise DeployError(f"{project_dir}: no dbt_project.yml to package")
    files: list[Path] = []
    for part in DBT_PROJECT_PARTS:
        path = project_dir / part
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path.relative_to(project_dir).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return target


def lock_pins(lock_file: Path, names: Sequence[str] = LOAD_TRANSFORM_PACKAGES) -> str | None:
    """``name==version,...`` for `names` from a pip lock file (None if one is missing)."""
    if not lock_file.is_file():
        return None
    pins: dict[str, str] = {}
    for line in lock_file.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    if not all(n in pins for n in names):
        return None
    return ",".join(f"{n}=={pins[n]}" for n in names)


def upload_artefacts(
    s3: Any, bucket: str, scripts_prefix: str, artefacts: Sequence[Artefact]
) -> tuple[str, ...]:
    """Upload each artefact under ``s3://bucket/scripts_prefix/<its key>`` unless there.

    A content-hashed key already present holds the same bytes: it is not rewritten.

    Returns:
        The ``s3://`` URLs of the artefacts (uploaded now or already there).

    Raises:
        DeployError: an upload failed.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = scripts_prefix.strip("/")
    urls = []
    for artefact in artefacts:
        key = f"{prefix}/{artefact.key}"
        try:
            if not _object_exists(s3, bucket, key):
                s3.upload_file(str(artefact.path), bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise DeployError(
                f"uploading {artefact.path} to s3://{bucket}/{key} failed: {exc}"
            ) from None
        urls.append(f"s3://{bucket}/{key}")
    return tuple(urls)


def _object_exists(s3: Any, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


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

    _validate(cfn, template_body)
    existing = _stack(cfn, name)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {name} is ROLLBACK_COMPLETE (its first create failed): delete it, fix "
            f"the cause ({_failure_reasons(cfn, name) or 'see its events'}) and deploy again"
        )
    if existing is not None and existing["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({existing['StackStatus']}); try again later")
    update = existing is not None
    current = _current_parameters(existing)
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


def _validate(cfn: Any, template_body: str) -> None:
    from botocore.exceptions import ClientError

    try:
        cfn.validate_template(TemplateBody=template_body)
    except ClientError as exc:
        raise DeployError(f"the template is not valid: {exc}") from None


def preview_stack(
    cfn: Any,
    name: str,
    template_body: str,
    parameters_for: Callable[[Mapping[str, str] | None], Sequence[dict[str, Any]]],
    *,
    wait_seconds: float = 300.0,
    poll_seconds: float = 5.0,
) -> list[str]:
    """What deploying would change, changing nothing (the dry run).

    An existing stack gets a change set, described and then deleted, plus a diff of
    its template; a stack that does not exist yet gets the list of every resource
    the template would create (a CREATE change set would leave an empty stack
    behind). Parameters are listed either way.

    Raises:
        DeployError: the template is invalid or the stack cannot be described.
    """
    import difflib
    import time

    from botocore.exceptions import ClientError

    _validate(cfn, template_body)
    existing = _stack(cfn, name)
    current = _current_parameters(existing)
    params = list(parameters_for(current))
    lines = [f"  parameter {p['ParameterKey']} = {p['ParameterValue']}" for p in params]
    if existing is None:
        resources = _template_resources(template_body)
        lines = [f"stack {name} does not exist: a deploy creates it", *lines]
        lines += [f"  + Add {rid} ({res.get('Type')})" for rid, res in resources.items()]
        return lines
    change_set = f"glueflake-dry-run-{int(time.time())}"
    try:
        cfn.create_change_set(
            StackName=name,
            ChangeSetName=change_set,
            ChangeSetType="UPDATE",
            TemplateBody=template_body,
            Parameters=params,
            Capabilities=CAPABILITIES,
        )
        described = _settled_change_set(cfn, name, change_set, wait_seconds, poll_seconds)
    except ClientError as exc:
        raise DeployError(f"change set for stack {name}: {exc}") from None
    finally:
        with contextlib.suppress(ClientError):
            cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
    changes = described.get("Changes") or []
    lines.insert(0, f"stack {name}: change set of {len(changes)} change(s)")
    for change in changes:
        rc = change.get("ResourceChange", {})
        replace = f", replacement {rc['Replacement']}" if rc.get("Replacement") else ""
        lines.append(
            f"  {rc.get('Action')} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')})"
            + replace
        )
    if not changes and described.get("StatusReason"):
        lines.append(f"  {described['StatusReason']}")
    old = str(cfn.get_template(StackName=name).get("TemplateBody", ""))
    diff = difflib.unified_diff(
        old.splitlines(), template_body.splitlines(), "deployed", "new", lineterm=""
    )
    lines += [f"  {line}" for line in diff]
    return lines


class _TemplateLoader(yaml.SafeLoader):
    """Reads a CloudFormation template's structure; intrinsic functions (``!Ref``) as None."""


_TemplateLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _template_resources(body: str) -> dict[str, Any]:
    loaded = yaml.load(body, Loader=_TemplateLoader)
    resources = loaded.get("Resources") if isinstance(loaded, dict) else None
    return dict(resources) if isinstance(resources, dict) else {}


def _settled_change_set(
    cfn: Any, name: str, change_set: str, wait_seconds: float, poll_seconds: float
) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + wait_seconds
    while True:
        described = dict(cfn.describe_change_set(StackName=name, ChangeSetName=change_set))
        if not str(described.get("Status", "")).endswith(("_PENDING", "_IN_PROGRESS")):
            return described
        if time.monotonic() > deadline:
            raise DeployError(f"change set {change_set} of {name} did not settle")
        time.sleep(poll_seconds)


def _current_parameters(existing: Mapping[str, Any] | None) -> dict[str, str] | None:
    if existing is None:
        return None
    return {
        str(p["ParameterKey"]): str(p.get("ParameterValue", ""))
        for p in existing.get("Parameters") or []
    }


# --- the whole deployment ------------------------------------------------------------


def deploy_aws(
    config: PipelineConfig,
    config_path: Path,
    settings: AwsDeploySettings | None = None,
    *,
    wheel: Path | None = None,
    project_dir: Path = Path("."),
    session: Any = None,
    dry_run: bool = False,
) -> AwsDeployResult:
    """Build, upload and deploy the AWS side of a pipeline.

    Args:
        config: the production pipeline config (its lake on S3).
        config_path: the file of that config, uploaded for the Glue jobs to read.
        settings: stack name, region, schedule, Snowflake parameters...
        wheel: a glueflake wheel to upload; None builds one into a temporary folder.
        project_dir: the repository (wheel build, dbt project, relative paths).
        session: a boto3 Session to use (default: a new one for the region).
        dry_run: upload nothing, change nothing; preview the change set instead.

    Returns:
        What was deployed and uploaded (or, for a dry run, would be), with the
        stack's outputs.

    Raises:
        DeployError: a step failed; the message names it.
    """
    import tempfile

    settings = settings or AwsDeploySettings()
    lake_location(config)  # a lake that cannot be deployed fails before any work
    script = _resolve(project_dir, settings.script)
    load_script = _resolve(project_dir, settings.load_script)
    template = _resolve(project_dir, settings.template)
    for path, what in (
        (script, "Glue job script"),
        (load_script, "load + transform job script"),
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
        dbt_zip = dbt_project_archive(project_dir, Path(dist) / DBT_PROJECT_NAME)
        artefacts = (
            Artefact("ScriptFileName", script, script.name),
            Artefact("LoadTransformScriptFileName", load_script, load_script.name),
            Artefact("ConfigFileName", config_path, CONFIG_KEY_NAME),
            Artefact("WheelFileName", wheel, wheel.name),
            Artefact("DbtProjectFileName", dbt_zip, DBT_PROJECT_NAME),
        )
        modules = lock_pins(project_dir / "requirements.lock")
        return _deploy(config, settings, artefacts, template, session, modules, dry_run)


def _deploy(
    config: PipelineConfig,
    settings: AwsDeploySettings,
    artefacts: Sequence[Artefact],
    template: Path,
    session: Any,
    python_modules: str | None,
    dry_run: bool,
) -> AwsDeployResult:
    """The AWS part of `deploy_aws`, once the artefacts are on disk."""
    import boto3

    bucket, _ = lake_location(config)
    session = session or boto3.session.Session(region_name=settings.region or config.lake.region)
    s3 = session.client("s3", endpoint_url=settings.endpoint_url)
    cfn = session.client("cloudformation", endpoint_url=settings.endpoint_url)
    body = template.read_text(encoding="utf-8")
    keys = {a.parameter: a.key for a in artefacts}

    def parameters_for(previous: Mapping[str, str] | None) -> Sequence[dict[str, Any]]:
        return stack_parameters(
            config, settings, keys, previous=previous, python_modules=python_modules
        )

    parameters_for(None)  # fail on bad prefixes before touching AWS
    prefix = settings.scripts_prefix.strip("/")
    if dry_run:
        preview = preview_stack(
            cfn, settings.stack_name, body, parameters_for, poll_seconds=settings.poll_seconds
        )
        would = tuple(f"  would upload s3://{bucket}/{prefix}/{a.key}" for a in artefacts)
        return AwsDeployResult(
            stack_name=settings.stack_name,
            stack_id="",
            action="dry-run",
            status="nothing changed, nothing uploaded",
            uploaded=(),
            preview=(*preview, *would),
        )
    uploaded: tuple[str, ...] = ()
    if bucket_exists(s3, bucket):
        uploaded = upload_artefacts(s3, bucket, prefix, artefacts)
    action, stack = deploy_stack(
        cfn,
        settings.stack_name,
        body,
        parameters_for,
        wait_seconds=settings.wait_seconds,
        poll_seconds=settings.poll_seconds,
    )
    if not uploaded:
        uploaded = upload_artefacts(s3, bucket, prefix, artefacts)
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
