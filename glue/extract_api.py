"""AWS Glue job entry: extract the configured REST endpoints into the lake.

Glue runs it with the job's arguments: ``--config`` (an ``s3://bucket/key`` or a
local path) and optionally ``--only`` (comma-separated ``source`` or
``source.entity`` names), ``--demo-day`` and ``--secrets-id`` (a Secrets Manager
secret, name under ``glueflake/`` or ARN, whose JSON object maps the config's
``${ENV_VAR}`` names to values). Either spelling works (``--secrets-id`` or
``--secrets_id``); Glue's own arguments are ignored. Off Glue it runs the same way:
``python glue/extract_api.py --config pipeline.yml``. Everything else is the
package's job (`glueflake.gluejob`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the extract job; returns the process exit code."""
    from glueflake.gluejob import run_extract_job

    return run_extract_job(list(sys.argv if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
