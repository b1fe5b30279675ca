"""AWS Glue job entry: extract the configured REST endpoints into the lake.

On Glue (Python shell job), arguments come through ``awsglue.utils.getResolvedOptions``:
``--config`` (an ``s3://bucket/key`` or a local path), and optionally ``--only``
(comma-separated ``source`` or ``source.entity`` names), ``--demo-day`` and
``--secrets-id``: a Secrets Manager secret (name under ``glueflake/`` or ARN) whose
JSON object maps the config's ``${ENV_VAR}`` names to their values, since a Glue job
has no environment of its own to hold them. Off Glue
the same options are read with argparse, so ``python glue/extract_api.py --config
pipeline.yml`` runs locally. Everything else is the package's job.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

OPTIONAL = ("only", "demo_day", "secrets_id")


def _glue_args(argv: list[str]) -> dict[str, str] | None:
    """The job's arguments via Glue's resolver, or None when not running on Glue."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return None
    # getResolvedOptions fails on options that are absent: ask only for those present.
    wanted = ["config"] + [name for name in OPTIONAL if f"--{name}" in argv]
    resolved: dict[str, str] = getResolvedOptions(argv, wanted)
    return resolved


def _local_args(argv: list[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="pipeline.yml: local path or s3:// URL")
    parser.add_argument("--only", help="comma-separated source or source.entity names")
    parser.add_argument("--demo-day", "--demo_day", dest="demo_day", help="simulated demo day")
    parser.add_argument(
        "--secrets-id", "--secrets_id", dest="secrets_id", help="Secrets Manager secret id"
    )
    ns = parser.parse_args(argv[1:])
    return {k: str(v) for k, v in vars(ns).items() if v is not None}


def _fetch_config(location: str, workdir: Path) -> Path:
    """A local path of the config, downloading it first when it is on S3."""
    if not location.startswith("s3://"):
        return Path(location)
    import boto3

    bucket, _, key = location.removeprefix("s3://").partition("/")
    target = workdir / (Path(key).name or "pipeline.yml")
    boto3.client("s3").download_file(bucket, key, str(target))
    return target


def _export_secrets(secret_id: str) -> None:
    """Put a Secrets Manager secret's JSON object into the environment (values unlogged)."""
    import json
    import os

    import boto3

    text = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError(f"secret {secret_id}: expected a JSON object of NAME: value")
    os.environ.update({str(k): str(v) for k, v in values.items()})


def main(argv: list[str] | None = None) -> int:
    """Run the extract job; returns the process exit code."""
    from glueflake.config import ConfigError, load_config
    from glueflake.errors import PipelineError
    from glueflake.extract import run_extract

    argv = list(sys.argv if argv is None else argv)
    args = _glue_args(argv)
    if args is None:
        args = _local_args(argv)
    only = [n.strip() for n in args.get("only", "").split(",") if n.strip()] or None
    if args.get("secrets_id"):
        _export_secrets(args["secrets_id"])
    with tempfile.TemporaryDirectory(prefix="glueflake-") as tmp:
        try:
            config = load_config(_fetch_config(args["config"], Path(tmp)))
            if args["config"].startswith("s3://") and not config.lake.is_s3:
                # Its relative paths would point into `tmp`, deleted when the job ends.
                raise ConfigError(
                    f"lake.url: a config read from S3 needs an s3:// lake, got "
                    f"{config.lake.url!r} (a local lake would be lost when the job ends)"
                )
            if args.get("demo_day"):
                if not args["demo_day"].isdigit():
                    raise ConfigError(
                        f"--demo-day: expected a day number >= 0, got {args['demo_day']!r}"
                    )
                demo = config.demo.model_copy(update={"day": int(args["demo_day"])})
                config = config.model_copy(update={"demo": demo})
            summary = run_extract(config, only=only, progress=False)
        except (ConfigError, PipelineError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, ConfigError) else 1
    from rich.console import Console

    Console(soft_wrap=True).print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
