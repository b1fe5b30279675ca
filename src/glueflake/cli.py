"""The `glueflake` command: thin commands, each parsing options and calling one function.

Every option can also be set by an environment variable (shown in `--help`). An
option that overrides a config value reads that value's own variable (``--demo-day``
reads ``GLUEFLAKE__DEMO__DAY``, ``--target`` ``GLUEFLAKE__DBT__TARGET``), so one
variable sets both; the others read ``GLUEFLAKE_<OPTION>``. Precedence: the flag, then
the variable, then the config file, then the default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from glueflake.config import ConfigError, PipelineConfig, load_config

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
    except Exception as exc:
        # The warehouse's own errors (a refused login, a missing grant) are the user's
        # to fix too: one line that names the driver, not a traceback.
        if not type(exc).__module__.startswith(("snowflake.connector", "duckdb")):
            raise
        _print_error(f"{type(exc).__name__}: {exc}")
        raise typer.Exit(1) from None


def _print_error(message: str) -> None:
    # The message may hold brackets (JSON, paths): never read it as markup.
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _config(
    path: Path, demo_day: int | None = None, demo_hour: int | None = None
) -> PipelineConfig:
    config = load_config(path)
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
        cfg = _config(config, demo_day, demo_hour)
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

    out.print(
        _call(
            lambda: run_extract(_config(config, demo_day, demo_hour), only=only, progress=progress)
        )
    )


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

    cfg = _call(lambda: _config(config))
    if watch:
        if force:  # it would reload every file on every poll
            with _user_errors():
                raise UserError("--force cannot be combined with --watch; run `load --force` first")
        _call(lambda: watch_lake(cfg, only=only, interval=interval, console=console))
        return
    summary = _call(lambda: run_load(cfg, only=only, force=force, progress=progress))
    out.print(summary)
    if summary.aborted:
        raise typer.Exit(1)


@app.command()
def status(config: ConfigOpt = Path("pipeline.yml")) -> None:
    """Per entity: files and records in the lake, loaded, rejected, pending, orphaned."""
    from glueflake.load import lake_status

    out.print(_call(lambda: lake_status(_config(config))))


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
            _config(config),
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
    build_all: Annotated[
        bool,
        typer.Option(
            "--all",
            envvar="GLUEFLAKE_BUILD_ALL",
            help="Build every dbt node, not only those downstream of changed landing tables.",
        ),
    ] = False,
) -> None:
    """Extract, load and transform in order, then print one table of the whole run.

    dbt rebuilds only what depends on landing tables that changed since the last
    successful build, and does not run when none did (--all builds everything).
    """
    from glueflake.pipeline import run_pipeline

    result = _call(
        lambda: run_pipeline(
            _config(config, demo_day, demo_hour),
            target=target,
            progress=progress,
            build_all=build_all,
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
    str,
    typer.Option(envvar="GLUEFLAKE_SNOWFLAKE_DBT_ROLE", help="Role dbt runs as (granted read)."),
]


@snowflake_app.command("render")
def snowflake_render(
    config: ConfigOpt = Path("pipeline.yml"),
    out_dir: ScriptsDirOpt = Path("snowflake"),
    dbt_role: DbtRoleOpt = "GLUEFLAKE_TRANSFORMER",
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
    role: Annotated[
        str,
        typer.Option(
            envvar="GLUEFLAKE_SNOWFLAKE_ADMIN_ROLE",
            help="Role to connect as (default: the user's; the scripts switch roles).",
        ),
    ] = "",
) -> None:
    """Run the rendered scripts statement by statement, printing each outcome."""
    from glueflake.deploy.snowflake import StatementOutcome, apply

    def echo(o: StatementOutcome) -> None:
        mark = "[green]ok[/]" if o.ok else "[bold red]failed[/]"
        out.print(f"{mark} {o.script}: {o.first_line} -> {o.message}", highlight=False)
        for line in o.details:
            out.print(f"    {line}", highlight=False)

    _call(lambda: apply(_config(config), scripts_dir, scripts=script, role=role, echo=echo))


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
        _call(lambda: generate_diagrams(_config(config), out_dir=out_dir, manifest_path=manifest))
    )


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
        str, typer.Option(envvar="GLUEFLAKE_AWS_SCHEDULE", help="Glue cron expression (UTC).")
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
) -> None:
    """Upload the Glue job's script, config and wheel; create/update the AWS stack."""
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
    )
    out.print(_call(lambda: deploy_aws(_config(config), config, settings, wheel=wheel)))


if __name__ == "__main__":  # pragma: no cover
    app()
