"""The `glueflake` command: thin commands, each parsing options and calling one function.

Every option can also be set by an environment variable (shown in `--help`). An
option that overrides a config value reads that value's own variable (``--demo-day``
reads ``GLUEFLAKE__DEMO__DAY``, ``--target`` ``GLUEFLAKE__DBT__TARGET``), so one
variable sets both; the others read ``GLUEFLAKE_<OPTION>``. Precedence: the flag, then
the variable, then the config file, then the default.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from glueflake.config import ConfigError, PipelineConfig, load_config
from glueflake.phase import mark
from glueflake.redact import Redactor, config_redactor

app = typer.Typer(
    name="glueflake",
    help="Batch ELT: REST APIs -> lake -> warehouse landing tables -> dbt.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# soft_wrap: a line naming a lake key or a record path is printed whole, never split
# at the console's width (80 columns off a terminal), so it can be found and copied.
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

T = TypeVar("T")

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", envvar="GLUEFLAKE_CONFIG", help="Pipeline config file.")
]
DemoDayOpt = Annotated[
    int | None,
    typer.Option(
        "--demo-day",
        envvar="GLUEFLAKE__DEMO__DAY",
        min=0,
        help="Simulated day of the demo API (default: days since 2026-01-01).",
    ),
]
DemoHourOpt = Annotated[
    int | None,
    typer.Option(
        "--demo-hour",
        envvar="GLUEFLAKE__DEMO__HOUR",
        min=1,
        max=24,
        help="Hours of the demo API's simulated day that have passed, 1-24: it serves the "
        "world as at the end of that hour (default: 24, the end of the day).",
    ),
]
OnlyOpt = Annotated[
    list[str] | None,
    typer.Option("--only", envvar="GLUEFLAKE_ONLY", help="Limit to source or source.entity."),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", envvar="GLUEFLAKE_FORCE", help="Reload files already loaded.")
]
ProgressOpt = Annotated[
    bool,
    typer.Option("--progress/--no-progress", envvar="GLUEFLAKE_PROGRESS", help="Progress bars."),
]
TargetOpt = Annotated[
    str | None,
    typer.Option(envvar="GLUEFLAKE__DBT__TARGET", help="dbt profile target (default: dbt.target)."),
]


class UserError(Exception):
    """A problem the user can fix; shown as one line, no traceback."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn known failures into a short message and a non-zero exit."""
    from glueflake.errors import PipelineError

    try:
        yield
    except (ConfigError, UserError, PipelineError) as exc:
        _print_error(str(exc))
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None
    except RecursionError:
        _print_error("input nested too deeply to process (over Python's recursion limit)")
        raise typer.Exit(1) from None
    except OSError as exc:
        # Disk full, read-only file system, no permission: the user's to fix.
        if exc.errno not in _USER_OS_ERRORS:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        _print_error(f"{exc.strerror or exc}{where}")
        raise typer.Exit(1) from None
    except Exception as exc:
        # The warehouse's own errors (a refused login, a missing grant, a lock held by
        # another process) are the user's to fix too: one line that names the driver,
        # not a traceback. DuckDB 1.5 raises them from its `_duckdb` module.
        if not type(exc).__module__.startswith(_DRIVER_MODULES):
            raise
        _print_error(f"{type(exc).__name__}: {exc}")
        raise typer.Exit(1) from None


_DRIVER_MODULES = ("snowflake.connector", "duckdb", "_duckdb")
_USER_OS_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE}
)
_redactor = Redactor()
"""Every secret the command's configuration resolved, scrubbed from what it prints."""


def _print_error(message: str) -> None:
    # The message may hold brackets (JSON, paths): never read it as markup. Whatever
    # it holds, no resolved secret is printed, in any form.
    message = _redactor.text(message)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _config(
    path: Path,
    demo_day: int | None = None,
    demo_hour: int | None = None,
    *,
    secrets: bool | Collection[str] = True,
) -> PipelineConfig:
    global _redactor  # noqa: PLW0603 - one command, one configuration
    # A stage resolves only the secrets it uses (`load_config`'s resolve_secrets).
    config = load_config(path, resolve_secrets=secrets)
    _redactor = config_redactor(config)
    demo = {"day": demo_day, "hour": demo_hour}
    update = {key: value for key, value in demo.items() if value is not None}
    if update:
        config = config.model_copy(update={"demo": config.demo.model_copy(update=update)})
    return config


def _call(fn: Callable[[], T]) -> T:
    with _user_errors():
        return fn()


@app.command("demo-api")
def demo_api(
    config: ConfigOpt = Path("pipeline.yml"),
    demo_day: DemoDayOpt = None,
    demo_hour: DemoHourOpt = None,
    host: Annotated[str, typer.Option(envvar="GLUEFLAKE_DEMO_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="GLUEFLAKE_DEMO_PORT")] = 8000,
    api_key_env: Annotated[
        str,
        typer.Option(envvar="GLUEFLAKE_DEMO_KEY_ENV", help="Variable holding the API key."),
    ] = "GLUEFLAKE_SHOP_API_KEY",
) -> None:
    """Serve the bundled demo REST API (countries, customers, orders) until Ctrl-C."""
    import os

    from glueflake.demo_api import DemoSettings, iso, serve

    def start() -> None:
        cfg = _config(config, demo_day, demo_hour, secrets=False)
        key = os.environ.get(api_key_env)
        if not key:
            raise UserError(f"set {api_key_env} to the API key the demo API should require")
        settings = DemoSettings(**cfg.demo.model_dump(), api_key=key)
        clock = f"day {settings.day}"
        if settings.hour < 24:
            clock += f" until {iso(settings.now)[11:19]}"
        console.print(f"demo API on http://{host}:{port} ({clock}); Ctrl-C stops")
        serve(settings, host=host, port=port)

    _call(start)


@app.command()
def extract(
    config: ConfigOpt = Path("pipeline.yml"),
    demo_day: DemoDayOpt = None,
    demo_hour: DemoHourOpt = None,
    only: OnlyOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Extract every configured endpoint into the lake (the Glue job's work)."""
    from glueflake.extract import run_extract

    mark("extract")
    out.print(
        _call(
            lambda: run_extract(
                _config(config, demo_day, demo_hour, secrets={"sources"}),
                only=only,
                progress=progress,
            )
        )
    )
    mark("done")


@app.command()
def load(
    config: ConfigOpt = Path("pipeline.yml"),
    only: OnlyOpt = None,
    force: ForceOpt = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", envvar="GLUEFLAKE_WATCH", help="Keep polling the lake and load new commits."
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option(envvar="GLUEFLAKE_WATCH_INTERVAL", min=0.1, help="Poll seconds.")
    ] = 5.0,
    progress: ProgressOpt = True,
) -> None:
    """Load committed lake files into the warehouse landing tables, each exactly once."""
    from glueflake.load import run_load, watch_lake

    cfg = _call(lambda: _config(config, secrets={"warehouse"}))
    mark("load")
    if watch:
        if force:  # it would reload every file on every poll
            with _user_errors():
                raise UserError("--force cannot be combined with --watch; run `load --force` first")
        _call(lambda: watch_lake(cfg, only=only, interval=interval, console=console))
        return
    summary = _call(lambda: run_load(cfg, only=only, force=force, progress=progress))
    out.print(summary)
    mark("done")
    if summary.aborted:
        raise typer.Exit(1)


@app.command()
def status(config: ConfigOpt = Path("pipeline.yml")) -> None:
    """Per entity: files and records in the lake, loaded, rejected, pending, orphaned."""
    from glueflake.load import lake_status

    out.print(_call(lambda: lake_status(_config(config, secrets={"warehouse"}))))


@app.command()
def transform(
    config: ConfigOpt = Path("pipeline.yml"),
    target: TargetOpt = None,
    select: Annotated[str | None, typer.Option(envvar="GLUEFLAKE_DBT_SELECT")] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", envvar="GLUEFLAKE_DBT_FULL_REFRESH")
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """Run `dbt build` (seeds, models, snapshots, tests) on the warehouse."""
    from glueflake.pipeline import transform as run_transform

    summary = _call(
        lambda: run_transform(
            _config(config, secrets=False),
            target=target,
            select=select,
            full_refresh=full_refresh,
            progress=progress,
        )
    )
    out.print(summary)


@app.command()
def run(
    config: ConfigOpt = Path("pipeline.yml"),
    demo_day: DemoDayOpt = None,
    demo_hour: DemoHourOpt = None,
    target: TargetOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Extract, load and transform in order, then print one table of the whole run."""
    from glueflake.pipeline import run_pipeline

    result = _call(
        lambda: run_pipeline(
            _config(config, demo_day, demo_hour, secrets={"sources", "warehouse"}),
            target=target,
            progress=progress,
        )
    )
    out.print(result)
    if not result.ok:
        raise typer.Exit(1)


snowflake_app = typer.Typer(
    help="Snowflake set-up: render the SQL scripts from config, apply them.",
    no_args_is_help=True,
)
app.add_typer(snowflake_app, name="snowflake")
ScriptsDirOpt = Annotated[
    Path,
    typer.Option(
        "--dir", envvar="GLUEFLAKE_SNOWFLAKE_DIR", help="Where the rendered scripts live."
    ),
]
DbtRoleOpt = Annotated[
    str | None,
    typer.Option(
        envvar="GLUEFLAKE_SNOWFLAKE_DBT_ROLE",
        help="Role dbt runs as (default: warehouse.dbt_role).",
    ),
]


@snowflake_app.command("render")
def snowflake_render(
    config: ConfigOpt = Path("pipeline.yml"),
    out_dir: ScriptsDirOpt = Path("snowflake"),
    dbt_role: DbtRoleOpt = None,
) -> None:
    """Write snowflake/*.sql (integration, stage and tables, roles, pipes) from config.

    Needs no credential: ``${ENV}`` secrets are not resolved (inline ones are refused).
    """
    from glueflake.deploy.snowflake import render

    paths = _call(
        lambda: render(load_config(config, resolve_secrets=False), out_dir, dbt_role=dbt_role)
    )
    for path in paths:
        out.print(f"wrote {path}")


@snowflake_app.command("apply")
def snowflake_apply(
    config: ConfigOpt = Path("pipeline.yml"),
    scripts_dir: ScriptsDirOpt = Path("snowflake"),
    script: Annotated[
        list[str] | None,
        typer.Option(
            "--script", envvar="GLUEFLAKE_SNOWFLAKE_SCRIPT", help="Run only this script (repeat)."
        ),
    ] = None,
    admin_user: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_SNOWFLAKE_ADMIN_USER",
            help="Admin user to run the scripts as (default: setup.user of the config).",
        ),
    ] = None,
    admin_role: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_SNOWFLAKE_ADMIN_ROLE",
            help="Role it connects as (default: setup.role, ACCOUNTADMIN); the scripts "
            "switch roles per statement.",
        ),
    ] = None,
) -> None:
    """Run the rendered scripts statement by statement as the admin, printing each outcome.

    The connection is the config's ``setup`` section (never the loader user).
    """
    from glueflake.config import SnowflakeSetup
    from glueflake.deploy.snowflake import StatementOutcome, apply

    def echo(o: StatementOutcome) -> None:
        mark = "[green]ok[/]" if o.ok else "[bold red]failed[/]"
        out.print(f"{mark} {o.script}: {o.first_line} -> {o.message}", highlight=False)
        for line in o.details:
            out.print(f"    {line}", highlight=False)

    def run() -> object:
        cfg = _config(config, secrets={"setup"})
        given = {"user": admin_user, "role": admin_role}
        update = {k: v for k, v in given.items() if v}
        if update:
            setup = (cfg.setup or SnowflakeSetup()).model_copy(update=update)
            cfg = cfg.model_copy(update={"setup": setup})
        return apply(cfg, scripts_dir, scripts=script, echo=echo)

    _call(run)


@app.command("diagrams")
def diagrams_command(
    config: ConfigOpt = Path("pipeline.yml"),
    out_dir: Annotated[
        Path, typer.Option("--out-dir", envvar="GLUEFLAKE_DIAGRAMS_DIR", help="Output folder.")
    ] = Path("diagrams"),
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            envvar="GLUEFLAKE_DBT_MANIFEST",
            help="Use this dbt manifest.json instead of running `dbt parse`.",
        ),
    ] = None,
) -> None:
    """Draw diagrams/architecture.png (from the config) and lineage.png (from dbt)."""
    from glueflake.diagrams import generate_diagrams

    out.print(
        _call(
            lambda: generate_diagrams(
                _config(config, secrets=False), out_dir=out_dir, manifest_path=manifest
            )
        )
    )


@app.command("doctor")
def doctor_command(
    config: ConfigOpt = Path("pipeline.yml"),
    secrets_id: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_AWS_SECRETS_ID",
            help="Read the secrets from this Secrets Manager secret, as the Glue jobs do.",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_ENDPOINT_URL", help="Send AWS calls here (tests)."),
    ] = None,
) -> None:
    """Preflight the production accounts: one line per check, pass or fail with the fix."""
    from glueflake.deploy.doctor import run_doctor

    report = _call(lambda: run_doctor(config, secrets_id=secrets_id, endpoint_url=endpoint_url))
    out.print(report, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command("docs")
def docs_command(
    config: ConfigOpt = Path("pipeline.yml"),
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", envvar="GLUEFLAKE_DOCS_DIR", help="Folder (default: .glueflake/docs)."
        ),
    ] = None,
    target: TargetOpt = None,
    serve: Annotated[
        bool, typer.Option("--serve", envvar="GLUEFLAKE_DOCS_SERVE", help="Serve on 127.0.0.1.")
    ] = False,
    port: Annotated[
        int,
        typer.Option(
            envvar="GLUEFLAKE_DOCS_PORT", min=0, max=65535, help="--serve's port (0: any free)."
        ),
    ] = 8080,
) -> None:
    """Write the dbt docs site and report.html (the pipeline's state); --serve shows them."""
    from glueflake.report import build_docs, docs_server, server_url

    site = _call(lambda: build_docs(_config(config, secrets={"warehouse"}), out_dir, target=target))
    out.print(site, highlight=False)
    if not serve:
        return
    with _user_errors():
        try:
            server = docs_server(site.out_dir, port=port)
        except OSError as exc:
            raise UserError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}") from None
    with server:
        out.print(f"serving {server_url(server, 'report.html')} and {server_url(server)}")
        out.print("Ctrl-C stops", highlight=False)
        with suppress(KeyboardInterrupt):
            server.serve_forever()


@app.command("deploy-aws")
def deploy_aws_command(
    config: ConfigOpt = Path("pipeline.yml"),
    stack_name: Annotated[
        str, typer.Option(envvar="GLUEFLAKE_AWS_STACK", help="CloudFormation stack name.")
    ] = "glueflake",
    region: Annotated[
        str | None, typer.Option(envvar="GLUEFLAKE__LAKE__REGION", help="Default: lake.region.")
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_ENDPOINT_URL", help="Send AWS calls here (tests)."),
    ] = None,
    wheel: Annotated[
        Path | None,
        typer.Option(envvar="GLUEFLAKE_AWS_WHEEL", help="Upload this wheel (default: build)."),
    ] = None,
    schedule: Annotated[
        str,
        typer.Option(envvar="GLUEFLAKE_AWS_SCHEDULE", help="Scheduler cron expression (UTC)."),
    ] = "cron(0 3 * * ? *)",
    schedule_enabled: Annotated[
        bool,
        typer.Option("--schedule-enabled/--schedule-disabled", envvar="GLUEFLAKE_AWS_SCHEDULE_ON"),
    ] = True,
    snowflake_iam_user_arn: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_SNOWFLAKE_IAM_USER_ARN", help="From DESC INTEGRATION."),
    ] = None,
    snowflake_external_id: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_SNOWFLAKE_EXTERNAL_ID", help="From DESC INTEGRATION."),
    ] = None,
    snowpipe_queue_arn: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_SNOWPIPE_QUEUE_ARN", help="From SHOW PIPES."),
    ] = None,
    secrets_id: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_AWS_SECRETS_ID",
            help="Secrets Manager secret the jobs read (default glueflake/pipeline).",
        ),
    ] = None,
    alert_email: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_AWS_ALERT_EMAIL", help="Subscribe this address to alerts."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            envvar="GLUEFLAKE_AWS_DRY_RUN",
            help="Print the change set (or what a create makes); upload and change nothing.",
        ),
    ] = False,
) -> None:
    """Upload the Glue jobs' artefacts (content-hashed keys); create/update the AWS stack."""
    from glueflake.deploy.aws import AwsDeploySettings, deploy_aws

    settings = AwsDeploySettings(
        stack_name=stack_name,
        region=region,
        endpoint_url=endpoint_url,
        schedule=schedule,
        schedule_enabled=schedule_enabled,
        snowflake_iam_user_arn=snowflake_iam_user_arn,
        snowflake_external_id=snowflake_external_id,
        snowpipe_queue_arn=snowpipe_queue_arn,
        secrets_id=secrets_id,
        alert_email=alert_email,
    )
    out.print(
        _call(
            lambda: deploy_aws(
                _config(config, secrets=False), config, settings, wheel=wheel, dry_run=dry_run
            )
        )
    )


if __name__ == "__main__":  # pragma: no cover
    app()
