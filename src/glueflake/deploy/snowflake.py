"""Snowflake deployment: render the set-up scripts from config and apply them.

`render` writes four scripts into ``snowflake/``; `apply` runs them statement by
statement through snowflake-connector-python, printing each statement's first line
and its outcome (never a secret: credentials come from the config's ``${ENV}`` values
and are handed to the connector only).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from glueflake.config import PipelineConfig, SnowflakeSetup, SnowflakeWarehouse
from glueflake.errors import PipelineError
from glueflake.load.snowflake.connection import connect
from glueflake.load.snowflake.sql import (
    Ident,
    Keyword,
    Literal,
    SnowflakeConfigError,
    SnowflakeObjects,
    ident,
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
# The body of a PEM public key: base64 only.
_KEY_BODY = re.compile(r"^[A-Za-z0-9+/=]{100,2000}$")


class SnowflakeApplyError(PipelineError):
    """A statement of a Snowflake script failed; the message names script and statement."""


@dataclass(frozen=True)
class SetupObjects:
    """What only the set-up scripts need: the service users and their public keys.

    Attributes:
        loader_user: ``warehouse.user``, created as a SERVICE user.
        dbt_user: ``warehouse.dbt_user``, likewise.
        loader_public_key: its RSA public key body (None: set it later by hand).
        dbt_public_key: likewise for the dbt user.
        pipe_entities: the entities as their pipes load them (ON_ERROR a pipe takes).
        abort_mapped: the tables whose ``on_error: abort`` their pipe maps to SKIP_FILE.
    """

    loader_user: Ident
    dbt_user: Ident
    loader_public_key: Literal | None
    dbt_public_key: Literal | None
    pipe_entities: tuple[Any, ...]
    abort_mapped: tuple[Any, ...]


def public_key_body(path: Path, field_name: str) -> Literal:
    """The base64 body of a PEM public key file, as Snowflake's RSA_PUBLIC_KEY wants it.

    Raises:
        SnowflakeConfigError: the file is missing or is not a PEM public key (the
            message names the field; a private key is refused without echoing it).
    """
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError:
        raise SnowflakeConfigError(f"{field_name}: cannot read {str(path)!r}") from None
    if "PRIVATE KEY" in text:
        raise SnowflakeConfigError(
            f"{field_name}: {str(path)!r} is a private key; give its public half "
            "(openssl rsa -in key.p8 -pubout)"
        )
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != "-----BEGIN PUBLIC KEY-----":
        raise SnowflakeConfigError(f"{field_name}: {str(path)!r} is not a PEM public key")
    body = "".join(lines[1:-1])
    if not _KEY_BODY.match(body):
        raise SnowflakeConfigError(f"{field_name}: {str(path)!r} is not a PEM public key")
    return Literal(body)


def setup_objects(config: PipelineConfig, objects: SnowflakeObjects) -> SetupObjects:
    """Validate the set-up scripts' own values: users, public keys, the pipes' ON_ERROR.

    A pipe cannot take ``ON_ERROR = ABORT_STATEMENT`` (CREATE PIPE refuses it): with
    ``warehouse.mode: snowpipe`` an entity with ``on_error: abort`` is refused, naming
    it; in mode copy (where the pipe script is not applied) its pipe is rendered with
    SKIP_FILE, which for a pipe is the same (the file with the error is not loaded),
    and the script says so.

    Raises:
        SnowflakeConfigError: a value is unusable (names the field).
    """
    wh = warehouse_config(config)
    setup = config.setup or SnowflakeSetup()

    def key(value: str | None, field_name: str) -> Literal | None:
        return public_key_body(config.resolve_path(value), field_name) if value else None

    entities, notes = [], []
    for entity in objects.entities:
        e = entity
        if str(e.on_error) == "ABORT_STATEMENT":
            where = f"sources.{e.source}.endpoints.{e.entity}.on_error"
            if wh.mode == "snowpipe":
                raise SnowflakeConfigError(
                    f"{where}: 'abort' cannot be a pipe's ON_ERROR (CREATE PIPE refuses "
                    "ABORT_STATEMENT) with warehouse.mode: snowpipe; use skip_file (a "
                    "pipe loads file by file, so it also keeps the bad file out) or "
                    "continue, or load with warehouse.mode: copy"
                )
            e = dataclasses.replace(e, on_error=Keyword("SKIP_FILE"))
            notes.append(e.table)
        entities.append(e)
    return SetupObjects(
        loader_user=ident(wh.user, "warehouse.user"),
        dbt_user=ident(wh.dbt_user, "warehouse.dbt_user"),
        loader_public_key=key(setup.loader_public_key_path, "setup.loader_public_key_path"),
        dbt_public_key=key(setup.dbt_public_key_path, "setup.dbt_public_key_path"),
        pipe_entities=tuple(entities),
        abort_mapped=tuple(notes),
    )


def render_scripts(config: PipelineConfig, *, dbt_role: str | None = None) -> dict[str, str]:
    """Render every script from the config (nothing is written).

    Args:
        config: the pipeline config.
        dbt_role: the role dbt runs as (default ``warehouse.dbt_role``).

    Raises:
        SnowflakeConfigError: a config value is not usable in SQL (names the field).
    """
    wh = warehouse_config(config)
    objects = snowflake_objects(config, dbt_role=dbt_role or wh.dbt_role, require_s3=True)
    setup = setup_objects(config, objects)
    return {name: render_template(f"{name}.j2", objects, setup) for name in SCRIPTS}


def render_template(name: str, objects: SnowflakeObjects, setup: SetupObjects) -> str:
    """Render one set-up script template (``templates/snowflake/``) for these objects.

    The templates find the one COPY INTO (``_copy.sql.j2``) in the loader's package.
    """
    loader = jinja2.PackageLoader("glueflake.deploy", "templates/snowflake")
    return template_environment(loader).get_template(name).render(o=objects, s=setup)


def render(config: PipelineConfig, out_dir: Path, *, dbt_role: str | None = None) -> list[Path]:
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
    echo: Callable[[StatementOutcome], None] | None = None,
    connection: Any = None,
) -> list[StatementOutcome]:
    """Run the rendered scripts through snowflake-connector-python, as the admin.

    The connection is the ``setup`` section's (`admin_warehouse`), never the loader
    user's: on an empty account the loader does not exist until
    ``roles_and_grants.sql`` creates it, and it never holds an admin role.

    Args:
        config: the pipeline config (account from ``warehouse``, admin from ``setup``).
        scripts_dir: where `render` wrote the scripts.
        scripts: script names to run, in this order (default: all that apply: the
            snowpipe script only with ``warehouse.mode: snowpipe``).
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
    conn = connection or connect(admin_warehouse(config), role=None)
    outcomes: list[StatementOutcome] = []
    try:
        cursor = conn.cursor()
        for name, sql in texts.items():
            outcomes.extend(run_script(cursor, name, sql, echo=echo))
    finally:
        if connection is None:
            conn.close()
    return outcomes


def admin_warehouse(config: PipelineConfig) -> SnowflakeWarehouse:
    """The warehouse section with the ``setup`` section's user, role and credentials.

    Raises:
        SnowflakeConfigError: no admin user, or the admin user is the loader.
    """
    wh = warehouse_config(config)
    setup = config.setup
    if setup is None or not setup.user:
        raise SnowflakeConfigError(
            "setup.user: the set-up scripts run as an admin user of their own (setup: "
            "{user, role, private_key_path or password}, or --admin-user); the loader "
            f"user {wh.user} does not exist yet on an empty account and never gets an "
            "admin role"
        )
    if setup.user.upper() in (wh.user.upper(), wh.dbt_user.upper()):
        raise SnowflakeConfigError(
            f"setup.user: {setup.user!r} is a service user (warehouse.user / dbt_user); "
            "the set-up scripts need an administrator's own user"
        )
    if not (setup.private_key_path or setup.private_key or setup.password):
        raise SnowflakeConfigError(
            "setup.private_key_path, setup.private_key or setup.password: the admin user "
            f"{setup.user} needs a credential of its own (secrets written as ${{ENV_VAR}})"
        )
    key_path = str(config.resolve_path(setup.private_key_path)) if setup.private_key_path else None
    return wh.model_copy(
        update={
            "user": setup.user,
            "role": setup.role,
            "private_key_path": key_path,
            "private_key": setup.private_key,
            "private_key_passphrase": setup.private_key_passphrase,
            "password": setup.password,
        }
    )
