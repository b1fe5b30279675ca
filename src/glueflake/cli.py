"""The `glueflake` command: thin commands, each parsing options and calling one function.

Every option can also be set by an environment variable (shown in `--help`). An
option that overrides a config value reads that value's own variable (``--demo-day``
reads ``GLUEFLAKE__DEMO__DAY``, ``--target`` ``GLUEFLAKE__DBT__TARGET``), so one
variable sets both; the others read ``GLUEFLAKE_<OPTION>``. Precedence: the flag, then
the variable, then the config file, then the default.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from glueflake.config import ConfigError, PipelineConfig, load_config
from glueflake.phase import mark
from glueflake.redact import Redactor, config_redactor

if TYPE_CHECKING:
    from glueflake.pipeline import DbtOptions
    from glueflake.transform import BuildSummary

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


LogLevel = Literal["debug", "info", "warning", "error"]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"glueflake {version('glueflake')}", highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            "--log-level",
            envvar="GLUEFLAKE_LOG_LEVEL",
            case_sensitive=False,
            help="How much glueflake's own log (on stderr) says.",
        ),
    ] = "warning",
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", envvar="GLUEFLAKE_VERBOSE", help="Same as --log-level debug."
        ),
    ] = False,
) -> None:
    """Batch ELT: REST APIs -> lake -> warehouse landing tables -> dbt."""
    from glueflake.log import setup_logging
    from glueflake.pipes import guard_standard_streams

    # `glueflake run | head` must end when head does, never hang (see glueflake.pipes).
    guard_standard_streams()
    setup_logging("debug" if verbose else log_level)


JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        envvar="GLUEFLAKE_JSON",
        help="Print one JSON document on stdout instead of tables (docs/json-output.md).",
    ),
]


@contextmanager
def _stdout_for(json_output: bool) -> Iterator[None]:
    """With --json, everything but the document (progress, dbt lines) goes to stderr."""
    if not json_output:
        yield
        return
    import sys
    from contextlib import redirect_stdout

    with redirect_stdout(sys.stderr):
        yield


def _print_json(doc: dict[str, object]) -> None:
    from glueflake.history import dumps

    print(dumps(doc))


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
    host: Annotated[
        str, typer.Option(envvar="GLUEFLAKE_DEMO_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="GLUEFLAKE_DEMO_PORT", help="Port to listen on.")
    ] = 8000,
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
    json_output: JsonOpt = False,
) -> None:
    """Extract every configured endpoint into the lake (the Glue job's work)."""
    from glueflake.extract import run_extract
    from glueflake.history import extract_doc

    mark("extract")
    with _stdout_for(json_output):
        summary = _call(
            lambda: run_extract(
                _config(config, demo_day, demo_hour, secrets={"sources"}),
                only=only,
                progress=progress,
            )
        )
    if json_output:
        _print_json(extract_doc(summary))
    else:
        out.print(summary)
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
    json_output: JsonOpt = False,
) -> None:
    """Load committed lake files into the warehouse landing tables, each exactly once."""
    from glueflake.history import load_doc
    from glueflake.load import run_load, watch_lake

    cfg = _call(lambda: _config(config, secrets={"warehouse"}))
    mark("load")
    if watch:
        if force:  # it would reload every file on every poll
            with _user_errors():
                raise UserError("--force cannot be combined with --watch; run `load --force` first")
        _call(lambda: watch_lake(cfg, only=only, interval=interval, console=console))
        return
    with _stdout_for(json_output):
        summary = _call(lambda: run_load(cfg, only=only, force=force, progress=progress))
    if json_output:
        _print_json(load_doc(summary))
    else:
        out.print(summary)
    mark("done")
    if summary.aborted:
        raise typer.Exit(1)


@app.command()
def status(config: ConfigOpt = Path("pipeline.yml"), json_output: JsonOpt = False) -> None:
    """Per entity: files and records in the lake, loaded, rejected, pending, orphaned."""
    from glueflake.history import status_doc
    from glueflake.load import lake_status

    report = _call(lambda: lake_status(_config(config, secrets={"warehouse"})))
    if json_output:
        _print_json(status_doc(report))
    else:
        out.print(report)


SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        "-s",
        envvar="GLUEFLAKE_DBT_SELECT",
        help="dbt selection, as dbt takes it; repeat for a union.",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", envvar="GLUEFLAKE_DBT_EXCLUDE", help="dbt exclusion; repeat for several."
    ),
]
VarsOpt = Annotated[
    str | None,
    typer.Option(
        "--vars",
        envvar="GLUEFLAKE_DBT_VARS",
        help="dbt project variables as a YAML mapping, e.g. '{landing_schema: landing}'.",
    ),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads", envvar="GLUEFLAKE_DBT_THREADS", min=1, help="dbt threads (default: profile's)."
    ),
]
FullRefreshOpt = Annotated[
    bool,
    typer.Option(
        "--full-refresh",
        envvar="GLUEFLAKE_DBT_FULL_REFRESH",
        help="Rebuild incremental models from scratch.",
    ),
]
ProfilesDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--profiles-dir",
        envvar="GLUEFLAKE__DBT__PROFILES_DIR",
        help="Folder of profiles.yml (default: the config's dbt.profiles_dir).",
    ),
]


def _dbt_options(
    target: str | None,
    select: list[str] | None,
    exclude: list[str] | None,
    dbt_vars: str | None,
    threads: int | None,
    full_refresh: bool,
    profiles_dir: Path | None,
) -> DbtOptions:
    from glueflake.pipeline import DbtOptions, parse_dbt_vars

    return DbtOptions(
        target=target,
        select=tuple(select or ()),
        exclude=tuple(exclude or ()),
        vars=parse_dbt_vars(dbt_vars),
        threads=threads,
        full_refresh=full_refresh,
        profiles_dir=profiles_dir,
    )


@app.command()
def transform(
    config: ConfigOpt = Path("pipeline.yml"),
    target: TargetOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    dbt_vars: VarsOpt = None,
    threads: ThreadsOpt = None,
    full_refresh: FullRefreshOpt = False,
    profiles_dir: ProfilesDirOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Run `dbt build` (seeds, models, snapshots, tests) on the warehouse."""
    from glueflake.pipeline import transform as run_transform

    def go() -> BuildSummary:
        options = _dbt_options(
            target, select, exclude, dbt_vars, threads, full_refresh, profiles_dir
        )
        return run_transform(_config(config, secrets=False), progress=progress, options=options)

    out.print(_call(go))


@app.command()
def run(
    config: ConfigOpt = Path("pipeline.yml"),
    demo_day: DemoDayOpt = None,
    demo_hour: DemoHourOpt = None,
    only: OnlyOpt = None,
    target: TargetOpt = None,
    select: SelectOpt = None,
    exclude: ExcludeOpt = None,
    dbt_vars: VarsOpt = None,
    threads: ThreadsOpt = None,
    full_refresh: FullRefreshOpt = False,
    profiles_dir: ProfilesDirOpt = None,
    progress: ProgressOpt = True,
    json_output: JsonOpt = False,
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
    successful build, and does not run when none did (--all builds everything; an
    explicit --select, --exclude or --only wins). The run's document is also written
    to .glueflake/runs/<run_id>.json (`glueflake runs`).
    """
    from glueflake.history import recorded
    from glueflake.pipeline import run_pipeline

    options = _call(
        lambda: _dbt_options(target, select, exclude, dbt_vars, threads, full_refresh, profiles_dir)
    )
    cfg = _call(
        lambda: _config(config, demo_day, demo_hour, secrets={"sources", "warehouse", "notify"})
    )
    with _stdout_for(json_output):
        result, doc = _call(
            lambda: recorded(
                cfg,
                lambda: run_pipeline(
                    cfg, progress=progress, only=only, dbt=options, build_all=build_all
                ),
            )
        )
    if json_output:
        _print_json(doc)
    else:
        out.print(result)
    if not result.ok:
        raise typer.Exit(1)


@app.command("runs")
def runs_command(
    config: ConfigOpt = Path("pipeline.yml"),
    limit: Annotated[
        int, typer.Option(envvar="GLUEFLAKE_RUNS_LIMIT", min=1, help="Newest runs to show.")
    ] = 20,
    json_output: JsonOpt = False,
) -> None:
    """List the recorded runs, newest first (from .glueflake/runs/)."""
    from glueflake.history import list_runs, runs_table

    runs = _call(lambda: list_runs(_config(config, secrets=False), limit=limit))
    if json_output:
        _print_json({"kind": "glueflake.runs", "version": 1, "runs": runs})
    else:
        out.print(runs_table(runs))


@app.command("add-source")
def add_source(
    name: Annotated[str, typer.Argument(help="Name of the new source (lowercase, _).")],
    url: Annotated[str, typer.Argument(help="Full URL of one endpoint, query included.")],
    config: ConfigOpt = Path("pipeline.yml"),
    entity: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_ADD_ENTITY", help="Entity name (default: URL's last part)."),
    ] = None,
    primary_key: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_ADD_PRIMARY_KEY", help="Key field, if not inferred."),
    ] = None,
    cursor_field: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_ADD_CURSOR_FIELD", help="Field ordering versions (updated_at...)."
        ),
    ] = None,
    records_path: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_ADD_RECORDS_PATH", help="Dotted path of the record list in the body."
        ),
    ] = None,
    pagination: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_ADD_PAGINATION",
            help="single_page, page_number, offset, cursor, link_header or next_url.",
        ),
    ] = None,
    incremental_param: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE_ADD_INCREMENTAL_PARAM",
            help="Query parameter the API filters changes by (turns incremental on).",
        ),
    ] = None,
    bearer: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_ADD_BEARER", help="Bearer token, as '${ENV_VAR}'."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="GLUEFLAKE_ADD_API_KEY", help="API key, as '${ENV_VAR}'.")
    ] = None,
    api_key_name: Annotated[
        str,
        typer.Option(envvar="GLUEFLAKE_ADD_API_KEY_NAME", help="Header or parameter of the key."),
    ] = "X-API-Key",
    api_key_in: Annotated[
        str, typer.Option(envvar="GLUEFLAKE_ADD_API_KEY_IN", help="header or query.")
    ] = "header",
    basic_user: Annotated[
        str | None, typer.Option(envvar="GLUEFLAKE_ADD_BASIC_USER", help="Basic auth user name.")
    ] = None,
    basic_password: Annotated[
        str | None,
        typer.Option(envvar="GLUEFLAKE_ADD_BASIC_PASSWORD", help="Basic auth password, '${VAR}'."),
    ] = None,
    max_pages: Annotated[
        int, typer.Option(envvar="GLUEFLAKE_ADD_MAX_PAGES", min=1, help="Pages to sample.")
    ] = 5,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", envvar="GLUEFLAKE_YES", help="Write without asking.")
    ] = False,
) -> None:
    """Probe a REST endpoint and add it: config, dbt source, typed raw model and tests."""
    from glueflake.scaffold import plan_add_source
    from glueflake.scaffold.cli_auth import auth_block

    auth = _call(
        lambda: auth_block(bearer, api_key, api_key_name, api_key_in, basic_user, basic_password)
    )
    import sys

    def choose(what: str, options: Sequence[str]) -> str:
        console.print(f"{what}: several fields fit: {', '.join(options)}", highlight=False)
        return str(
            typer.prompt(
                f"which is the {what}?", default=options[0], type=click.Choice(list(options))
            )
        )

    plan = _call(
        lambda: plan_add_source(
            config,
            name,
            url,
            entity=entity,
            auth=auth,
            primary_key=primary_key,
            cursor_field=cursor_field,
            records_path=records_path,
            pagination=pagination,
            incremental_param=incremental_param,
            max_pages=max_pages,
            choose=choose if sys.stdin.isatty() and not yes else None,
        )
    )
    for change in plan.changes:
        out.print(change.diff(), highlight=False, markup=False, end="")
    for line in plan.summary():
        console.print(f"found: {line}", highlight=False, markup=False)
    for note in plan.notes:
        console.print(f"[yellow]assumed:[/] {escape(note)}", highlight=False)
    if not yes and not typer.confirm("write these files?", default=False, err=True):
        console.print("nothing written")
        raise typer.Exit(1)
    plan.write()
    console.print(
        f"wrote {len(plan.changes)} files; `glueflake run --only {name}` extracts, loads "
        f"and builds {plan.plan.model}",
        highlight=False,
    )


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project (new or empty).")],
) -> None:
    """Create a new project that runs the whole pipeline on the bundled demo API."""
    from glueflake.scaffold.init import init_project

    written = _call(lambda: init_project(directory))
    for path in written:
        out.print(f"wrote {path}", highlight=False)
    out.print(
        f"next: cd {directory} && glueflake run   (or make demo); then add your own API "
        "with glueflake add-source NAME URL",
        highlight=False,
    )


config_app = typer.Typer(
    help="The config file's reference: JSON Schema for editors, Markdown for people.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("schema")
def config_schema() -> None:
    """Print the JSON Schema of the config file (for YAML language servers)."""
    import json

    from glueflake.config_reference import json_schema

    print(json.dumps(json_schema(), indent=2))


@config_app.command("reference")
def config_reference() -> None:
    """Print the config reference as Markdown (docs/config.md is this output)."""
    from glueflake.config_reference import render_markdown

    print(render_markdown(), end="")


state_app = typer.Typer(
    help="Incremental bookmarks: where each entity's next extract starts.",
    no_args_is_help=True,
)
app.add_typer(state_app, name="state")
EntityArg = Annotated[str, typer.Argument(help="The entity, as SOURCE.ENTITY.")]


@state_app.command("show")
def state_show(entity: EntityArg, config: ConfigOpt = Path("pipeline.yml")) -> None:
    """Show an entity's bookmark: the cursor value the next run starts from."""
    from glueflake.state import show_state

    for line in _call(lambda: show_state(_config(config, secrets=False), entity)).lines():
        out.print(line, highlight=False, markup=False)


@state_app.command("reset")
def state_reset(
    entity: EntityArg,
    config: ConfigOpt = Path("pipeline.yml"),
    yes: Annotated[
        bool, typer.Option("--yes", "-y", envvar="GLUEFLAKE_YES", help="Reset without asking.")
    ] = False,
) -> None:
    """Set an entity's bookmark back to its incremental.initial value."""
    from glueflake.state import reset_state, show_state

    cfg = _call(lambda: _config(config, secrets=False))
    before = _call(lambda: show_state(cfg, entity))
    for line in before.lines():
        console.print(line, highlight=False, markup=False)
    if before.cursor_field is None:
        _call(lambda: reset_state(cfg, entity))  # raises: nothing to reset
    question = (
        f"reset it? the next run re-reads {entity} from {before.initial} "
        "(raw models keep one version per key)"
    )
    if not yes and not typer.confirm(question, default=False, err=True):
        console.print("nothing changed")
        raise typer.Exit(1)
    after = _call(lambda: reset_state(cfg, entity))
    out.print(
        f"{entity}: bookmark reset; the next run asks for {after.cursor_field} >= {after.initial}",
        highlight=False,
        markup=False,
    )


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
        envvar="GLUEFLAKE__WAREHOUSE__DBT_ROLE",
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
            envvar="GLUEFLAKE__SETUP__USER",
            help="Admin user to run the scripts as (default: setup.user of the config).",
        ),
    ] = None,
    admin_role: Annotated[
        str | None,
        typer.Option(
            envvar="GLUEFLAKE__SETUP__ROLE",
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
        typer.Option(
            "--schedule-enabled/--schedule-disabled",
            envvar="GLUEFLAKE_AWS_SCHEDULE_ON",
            help="Whether the daily trigger starts enabled.",
        ),
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
