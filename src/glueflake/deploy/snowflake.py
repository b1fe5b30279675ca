"""Snowflake deployment: render the set-up scripts from config and apply them.

`render` writes four scripts into ``snowflake/``; `apply` runs them statement by
statement through snowflake-connector-python, printing each statement's first line
and its outcome (never a secret: credentials come from the config's ``${ENV}`` values
and are handed to the connector only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from glueflake.config import PipelineConfig
from glueflake.errors import PipelineError
from glueflake.load.snowflake.connection import connect
from glueflake.load.snowflake.sql import (
    SnowflakeConfigError,
    SnowflakeObjects,
    snowflake_objects,
    template_environment,
    warehouse_config,
)

#: The scripts, in the order `apply` runs them.
SCRIPTS: tuple[str, ...] = (
    "setup_storage_integration.sql",
    "setup_stage_and_tables.sql",
    "roles_and_grants.sql",
    "snowpipe_trigger.sql",
)
DEFAULT_DBT_ROLE = "GLUEFLAKE_TRANSFORMER"


class SnowflakeApplyError(PipelineError):
    """A statement of a Snowflake script failed; the message names script and statement."""


def render_scripts(config: PipelineConfig, *, dbt_role: str = DEFAULT_DBT_ROLE) -> dict[str, str]:
    """Render every script from the config (nothing is written).

    Raises:
        SnowflakeConfigError: a config value is not usable in SQL (names the field).
    """
    objects = snowflake_objects(config, dbt_role=dbt_role, require_s3=True)
    return {name: render_template(f"{name}.j2", objects) for name in SCRIPTS}


def render_template(name: str, objects: SnowflakeObjects) -> str:
    """Render one set-up script template (``templates/snowflake/``) for these objects.

    The templates find the one COPY INTO (``_copy.sql.j2``) in the loader's package.
    """
    loader = jinja2.PackageLoader("glueflake.deploy", "templates/snowflake")
    return template_environment(loader).get_template(name).render(o=objects)


def render(
    config: PipelineConfig, out_dir: Path, *, dbt_role: str = DEFAULT_DBT_ROLE
) -> list[Path]:
    """Write the rendered scripts into `out_dir` (created if missing).

    Returns:
        The files written, in apply order.
    """
    scripts = render_scripts(config, dbt_role=dbt_role)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in scripts.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def split_statements(sql: str) -> list[str]:
    """Split a script into statements on ``;`` outside quotes and comments.

    Comment-only chunks are dropped; each statement keeps its leading comments.
    """
    statements: list[str] = []
    buf: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        two = sql[i : i + 2]
        if two == "--":
            end = sql.find("\n", i)
            end = n if end == -1 else end
            buf.append(sql[i:end])
            i = end
        elif two == "/*":
            end = sql.find("*/", i + 2)
            end = n if end == -1 else end + 2
            buf.append(sql[i:end])
            i = end
        elif ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == "\\" and ch == "'":
                    j += 2
                    continue
                if sql[j] == ch:
                    if sql[j + 1 : j + 2] == ch:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(sql[i : j + 1])
            i = j + 1
        elif ch == ";":
            statements.append("".join(buf))
            buf = []
            i += 1
        else:
            buf.append(ch)
            i += 1
    statements.append("".join(buf))
    return [s.strip() for s in statements if _code(s)]


def _code(statement: str) -> str:
    lines = [ln for ln in statement.strip().splitlines() if not ln.strip().startswith("--")]
    return "\n".join(lines).strip()


def first_line(statement: str) -> str:
    """The statement's first line of code (comments skipped), for progress output."""
    code = _code(statement)
    return code.splitlines()[0] if code else ""


@dataclass
class StatementOutcome:
    """One applied statement."""

    script: str
    first_line: str
    ok: bool
    message: str = ""
    details: list[str] = field(default_factory=list)


def run_script(
    cursor: Any,
    script: str,
    sql: str,
    *,
    echo: Callable[[StatementOutcome], None] | None = None,
) -> Iterator[StatementOutcome]:
    """Execute one script statement by statement, yielding each outcome.

    Stops at the first failing statement (raising SnowflakeApplyError after yielding).
    """
    for statement in split_statements(sql):
        head = first_line(statement)
        try:
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
            columns = [c[0].lower() for c in cursor.description or []]
        except Exception as exc:
            outcome = StatementOutcome(script, head, ok=False, message=_error_text(exc))
            if echo:
                echo(outcome)
            yield outcome
            raise SnowflakeApplyError(f"{script}: `{head}` failed: {outcome.message}") from None
        outcome = StatementOutcome(
            script, head, ok=True, message=_status(rows), details=_details(head, columns, rows)
        )
        if echo:
            echo(outcome)
        yield outcome


def _error_text(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _status(rows: Sequence[Sequence[Any]]) -> str:
    if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], str):
        return rows[0][0]
    return f"{len(rows)} row(s)"


def _details(head: str, columns: list[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """What the operator needs from DESC INTEGRATION and SHOW PIPES (no secrets there)."""
    lowered = head.lower()
    found: list[str] = []
    if lowered.startswith("desc integration") and "property" in columns:
        prop, value = columns.index("property"), columns.index("property_value")
        wanted = {"STORAGE_AWS_IAM_USER_ARN", "STORAGE_AWS_EXTERNAL_ID"}
        found = [f"{r[prop]} = {r[value]}" for r in rows if str(r[prop]).upper() in wanted]
    elif lowered.startswith("show pipes") and "notification_channel" in columns:
        name, channel = columns.index("name"), columns.index("notification_channel")
        found = [f"{r[name]}: notification_channel = {r[channel]}" for r in rows]
    return found


def apply(
    config: PipelineConfig,
    scripts_dir: Path,
    *,
    scripts: Sequence[str] | None = None,
    role: str = "",
    echo: Callable[[StatementOutcome], None] | None = None,
    connection: Any = None,
) -> list[StatementOutcome]:
    """Run the rendered scripts through snowflake-connector-python.

    Args:
        config: the pipeline config (connection settings).
        scripts_dir: where `render` wrote the scripts.
        scripts: script names to run, in this order (default: all that apply: the
            snowpipe script only with ``warehouse.mode: snowpipe``).
        role: role to connect as ("" = the user's default; the scripts switch roles).
        echo: called with each statement's outcome as it completes.
        connection: an open connection to use instead of connecting from config.

    Raises:
        SnowflakeApplyError: a statement failed (names the script and the statement).
        SnowflakeConfigError: the config cannot be used.
    """
    wh = warehouse_config(config)
    if scripts is None:
        scripts = [s for s in SCRIPTS if s != "snowpipe_trigger.sql" or wh.mode == "snowpipe"]
    unknown = [s for s in scripts if s not in SCRIPTS]
    if unknown:
        raise SnowflakeConfigError(f"unknown script(s) {unknown}; known: {list(SCRIPTS)}")
    texts = {}
    for name in scripts:
        path = scripts_dir / name
        if not path.is_file():
            raise SnowflakeConfigError(f"{path}: missing; run `glueflake snowflake render` first")
        texts[name] = path.read_text(encoding="utf-8")
    conn = connection or connect(wh, role=role)
    outcomes: list[StatementOutcome] = []
    try:
        cursor = conn.cursor()
        for name, sql in texts.items():
            outcomes.extend(run_script(cursor, name, sql, echo=echo))
    finally:
        if connection is None:
            conn.close()
    return outcomes
