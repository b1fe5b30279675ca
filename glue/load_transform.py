"""AWS Glue job entry: load the committed lake files, then dbt build and source freshness.

The second step of the production chain (the state machine in infra/glueflake.yml
runs it after the extract): ``glueflake load`` (COPY of the committed files, or a
wait until Snowpipe has loaded them), then ``dbt build --target prod`` with
dbt-snowflake on the dbt project ``deploy-aws`` uploaded, then ``dbt source
freshness``. Arguments: ``--config``, ``--secrets-id``, ``--dbt-project`` (the
project's zip on S3), optionally ``--target`` and ``--only``; either spelling, Glue's
own arguments ignored. Everything else is the package's job (`glueflake.gluejob`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the load + transform job; returns the process exit code."""
    from glueflake.gluejob import run_load_transform_job

    return run_load_transform_job(list(sys.argv if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
