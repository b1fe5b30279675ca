"""What the two AWS Glue job entries share: Glue's argv, secrets, config and dbt project.

The entries (``glue/extract_api.py`` and ``glue/load_transform.py``) are thin: they
call `run_extract_job` or `run_load_transform_job` with ``sys.argv``.

Glue runs a job's script as ``script.py`` followed by ``--KEY VALUE`` pairs: its own
(``--JOB_NAME``, ``--JOB_ID``, ``--JOB_RUN_ID``, ``--TempDir``,
``--job-bookmark-option``, ``--enable-metrics``...), the job's ``DefaultArguments``
and a run's own arguments. `job_args` reads the options glueflake knows, in either
spelling (``--secrets-id`` or ``--secrets_id``), and ignores every other one, with no
prefix matching (Glue's ``--conf`` is not ``--config``). It does not need
``awsglue``: Glue's own resolver drops an option asked for in the other spelling.

Secrets: a Glue job has no environment of its own, so ``--secrets-id`` names a Secrets
Manager secret whose JSON object maps the config's ``${ENV_VAR}`` names (and dbt's
``SNOWFLAKE_*`` variables) to values; they are put into the environment, never printed.
Each job resolves only the config secrets its stage uses: the extract the sources',
the load the warehouse's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Collection, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from glueflake.config import ConfigError, PipelineConfig, load_config
from glueflake.errors import PipelineError

#: Options of the extract job.
EXTRACT_OPTIONS = ("config", "only", "demo_day", "secrets_id")
#: Options of the load + transform job.
LOAD_TRANSFORM_OPTIONS = (
    "config",
    "only",
    "secrets_id",
    "dbt_project",
    "target",
    "dbt_select",
    "dbt_exclude",
)


def job_args(argv: Sequence[str], options: Collection[str]) -> dict[str, str]:
    """The glueflake options in a Glue job's argv; Glue's and unknown ones are ignored.

    Args:
        argv: ``sys.argv`` as Glue passes it (the script name first).
        options: the option names this job reads (with ``_``; ``-`` is accepted too).

    Returns:
        The options given, by name (underscore spelling).

    Raises:
        ConfigError: ``--config`` is missing, or an option has no value.
    """
    parser = argparse.ArgumentParser(prog=Path(argv[0]).name if argv else "job", add_help=False)
    parser.allow_abbrev = False
    for name in options:
        spellings = dict.fromkeys([f"--{name}", f"--{name.replace('_', '-')}"])
        parser.add_argument(*spellings, dest=name)
    try:
        known, _ = parser.parse_known_args(list(argv[1:]))
    except SystemExit:
        raise ConfigError(f"job arguments: cannot read {' '.join(argv[1:])!r}") from None
    args = {k: str(v) for k, v in vars(known).items() if v is not None}
    if "config" in options and not args.get("config"):
        raise ConfigError("--config: required (an s3:// URL or a path of the pipeline config)")
    return args


def export_secrets(
    secret_id: str, environ: MutableMapping[str, str] | None = None, *, client: Any = None
) -> list[str]:
    """Put a Secrets Manager secret's JSON object of ``NAME: value`` into the environment.

    Returns:
        The names set (never the values).

    Raises:
        ConfigError: the secret cannot be read or is not a JSON object (the message
            names the secret, never its content).
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    env = os.environ if environ is None else environ
    client = client or boto3.client("secretsmanager")
    try:
        text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError(f"--secrets-id {secret_id}: cannot read the secret ({exc})") from None
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise ConfigError(f"--secrets-id {secret_id}: expected a JSON object of NAME: value")
    env.update({str(k): str(v) for k, v in values.items()})
    return sorted(str(k) for k in values)


def fetch(location: str, workdir: Path, default_name: str) -> Path:
    """A local path of `location`, downloading it from S3 first when it is an s3:// URL."""
    if not location.startswith("s3://"):
        return Path(location)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location.removeprefix("s3://").partition("/")
    target = workdir / (Path(key).name or default_name)
    try:
        boto3.client("s3").download_file(bucket, key, str(target))
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError(f"{location}: cannot download ({exc})") from None
    return target


def job_config(args: dict[str, str], workdir: Path, *, secrets: Collection[str]) -> PipelineConfig:
    """The pipeline config a job runs with: secrets exported, config fetched and loaded.

    Args:
        args: the job's options (`job_args`).
        workdir: a temporary folder for downloads.
        secrets: the config sections whose secrets this stage resolves.

    Raises:
        ConfigError: the secret, the config or its lake is unusable.
    """
    if args.get("secrets_id"):
        export_secrets(args["secrets_id"])
    location = args["config"]
    config = load_config(fetch(location, workdir, "pipeline.yml"), resolve_secrets=secrets)
    if location.startswith("s3://") and not config.lake.is_s3:
        # Its relative paths would point into the job's temporary folder.
        raise ConfigError(
            f"lake.url: a config read from S3 needs an s3:// lake, got "
            f"{config.lake.url!r} (a local lake would be lost when the job ends)"
        )
    return config


def _print(renderable: Any) -> None:
    from rich.console import Console

    Console(soft_wrap=True).print(renderable)


def _fail(exc: Exception) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2 if isinstance(exc, ConfigError) else 1


def _only(args: dict[str, str]) -> list[str] | None:
    return [n.strip() for n in args.get("only", "").split(",") if n.strip()] or None


def run_extract_job(argv: Sequence[str]) -> int:
    """The extract job: REST APIs into the lake. Returns the exit code (2 = config)."""
    from glueflake.extract import run_extract

    try:
        args = job_args(argv, EXTRACT_OPTIONS)
        with tempfile.TemporaryDirectory(prefix="glueflake-") as tmp:
            config = job_config(args, Path(tmp), secrets={"sources"})
            if args.get("demo_day"):
                if not args["demo_day"].isdigit():
                    raise ConfigError(
                        f"--demo-day: expected a day number >= 0, got {args['demo_day']!r}"
                    )
                demo = config.demo.model_copy(update={"day": int(args["demo_day"])})
                config = config.model_copy(update={"demo": demo})
            summary = run_extract(config, only=_only(args), progress=False)
    except (ConfigError, PipelineError) as exc:
        return _fail(exc)
    _print(summary)
    return 0


def unpack_dbt_project(archive: Path, target: Path) -> Path:
    """Unpack the dbt project zip `deploy-aws` uploaded; returns its folder.

    Raises:
        ConfigError: not a zip, no ``dbt_project.yml`` at its root, or a member
            pointing outside the folder.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ConfigError(f"{archive.name}: member {name!r} leaves the project")
            zf.extractall(target)
    except zipfile.BadZipFile:
        raise ConfigError(f"{archive.name}: --dbt-project is not a zip file") from None
    if not (target / "dbt_project.yml").is_file():
        raise ConfigError(f"{archive.name}: no dbt_project.yml at the archive's root")
    return target


def run_load_transform_job(argv: Sequence[str]) -> int:
    """The load + transform job: ``glueflake load``, ``dbt build``, source freshness.

    The load runs COPY for the committed files (``warehouse.mode: copy``) or waits
    until the pipes have loaded them (``snowpipe``), so dbt builds only on landed
    files; then ``dbt build --target <target>`` (default ``prod``) and
    ``dbt source freshness``. ``--dbt-select`` / ``--dbt-exclude`` narrow the build
    (a run argument, e.g. to rebuild one model). Returns the exit code: 0 when every
    step passed.
    """
    from glueflake.load import run_load
    from glueflake.pipeline import dbt_settings
    from glueflake.transform import build, freshness

    try:
        args = job_args(argv, LOAD_TRANSFORM_OPTIONS)
        with tempfile.TemporaryDirectory(prefix="glueflake-") as tmp:
            work = Path(tmp)
            config = job_config(args, work, secrets={"warehouse"})
            if args.get("dbt_project"):
                archive = fetch(args["dbt_project"], work, "dbt-project.zip")
                project = unpack_dbt_project(archive, work / "dbt")
                dbt = config.dbt.model_copy(
                    update={
                        "project_dir": str(project),
                        "profiles_dir": str(project),
                        "target_path": str(work / "target"),
                        "log_path": str(work / "logs"),
                    }
                )
                config = config.model_copy(update={"dbt": dbt})
            loaded = run_load(config, only=_only(args), progress=False)
            _print(loaded)
            if loaded.aborted:
                return 1
            settings = dbt_settings(config, target=args.get("target", "prod"))
            built = build(
                settings,
                select=args.get("dbt_select"),
                exclude=args.get("dbt_exclude"),
                progress=False,
            )
            _print(built)
            fresh = freshness(settings)
            for src in fresh.sources:
                _print(f"freshness {src.source}.{src.table}: {src.status}")
    except (ConfigError, PipelineError) as exc:
        return _fail(exc)
    return 0
