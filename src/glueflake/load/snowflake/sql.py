"""Safe pieces of Snowflake SQL: validated identifiers, quoted literals, the object names.

Everything the Snowflake loader and the set-up scripts (`glueflake.deploy.snowflake`)
splice into SQL goes through this module. A name that is not a plain Snowflake
identifier is refused with a message naming the config field it came from; a string
literal is validated for its kind (S3 URL, IAM role ARN) and quoted. The Jinja
environment refuses any value that is not one of these types, so unvalidated text
cannot reach the SQL. The one COPY INTO text (``templates/_copy.sql.j2``), which the
loader runs and each pipe wraps, lives here, beside the loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from glueflake.config import OnError, PipelineConfig, SnowflakeWarehouse
from glueflake.errors import PipelineError
from glueflake.lake.layout import DATA_SUFFIX, entity_prefix

# Unquoted Snowflake identifiers: a letter or underscore, then letters, digits, _ or $.
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
# Keywords Snowflake reserves: they cannot be unquoted identifiers.
_RESERVED = frozenset(
    {
        "ACCOUNT",
        "ALL",
        "ALTER",
        "AND",
        "ANY",
        "AS",
        "BETWEEN",
        "BY",
        "CASE",
        "CAST",
        "CHECK",
        "COLUMN",
        "CONNECT",
        "CONNECTION",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "CURRENT",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "CURRENT_USER",
        "DATABASE",
        "DELETE",
        "DISTINCT",
        "DROP",
        "ELSE",
        "EXISTS",
        "FALSE",
        "FOLLOWING",
        "FOR",
        "FROM",
        "FULL",
        "GRANT",
        "GROUP",
        "GSCLUSTER",
        "HAVING",
        "ILIKE",
        "IN",
        "INCREMENT",
        "INNER",
        "INSERT",
        "INTERSECT",
        "INTO",
        "IS",
        "ISSUE",
        "JOIN",
        "LATERAL",
        "LEFT",
        "LIKE",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "MINUS",
        "NATURAL",
        "NOT",
        "NULL",
        "OF",
        "ON",
        "OR",
        "ORDER",
        "ORGANIZATION",
        "QUALIFY",
        "REGEXP",
        "REVOKE",
        "RIGHT",
        "RLIKE",
        "ROW",
        "ROWS",
        "SAMPLE",
        "SCHEMA",
        "SELECT",
        "SET",
        "SOME",
        "START",
        "TABLE",
        "TABLESAMPLE",
        "THEN",
        "TO",
        "TRIGGER",
        "TRUE",
        "TRY_CAST",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USING",
        "VALUES",
        "VIEW",
        "WHEN",
        "WHENEVER",
        "WHERE",
        "WITH",
    }
)
_S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=/-]*)?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
# Relative lake keys handed to FILES = (...): the layout's characters only.
_LAKE_KEY = re.compile(r"^[A-Za-z0-9_.=/-]+$")

ON_ERROR_SQL: dict[str, str] = {
    "continue": "CONTINUE",
    "skip_file": "SKIP_FILE",
    "abort": "ABORT_STATEMENT",
}


class SnowflakeConfigError(PipelineError):
    """A config value cannot be used in Snowflake SQL; the message names the field."""


@dataclass(frozen=True)
class Ident:
    """A validated, unquoted Snowflake identifier (rendered upper-case)."""

    name: str

    def __str__(self) -> str:
        return self.name

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class QualifiedName:
    """``DATABASE.SCHEMA.OBJECT`` built from validated identifiers."""

    parts: tuple[Ident, ...]

    def __str__(self) -> str:
        return ".".join(p.name for p in self.parts)

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Literal:
    """A single-quoted SQL string literal whose content was validated for its kind."""

    value: str

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"

    def __html__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Keyword:
    """A SQL keyword chosen from a fixed set (for example an ON_ERROR value)."""

    word: str

    def __str__(self) -> str:
        return self.word

    def __html__(self) -> str:
        return str(self)


SqlValue = Ident | QualifiedName | Literal | Keyword | int


def ident(value: object, field: str) -> Ident:
    """Validate `value` as an unquoted Snowflake identifier.

    Args:
        value: the configured name.
        field: the config field it came from, named in the error.

    Raises:
        SnowflakeConfigError: it is not a plain identifier, or it is a reserved word.
    """
    text = str(value) if value is not None else ""
    if not _IDENT.match(text):
        raise SnowflakeConfigError(
            f"{field}: {text!r} is not a valid Snowflake identifier (a letter or _, then "
            "letters, digits, _ or $; at most 255 characters; no quotes or spaces)"
        )
    if text.upper() in _RESERVED:
        raise SnowflakeConfigError(f"{field}: {text!r} is a reserved word in Snowflake")
    return Ident(text.upper())


def s3_url(value: str, field: str) -> Literal:
    """Validate an ``s3://bucket/prefix/`` URL (normalised to end with '/')."""
    url = value.rstrip("/") + "/"
    if not _S3_URL.match(url):
        raise SnowflakeConfigError(
            f"{field}: {value!r} is not an s3://bucket/prefix URL Snowflake can stage "
            "(bucket in lowercase letters, digits, . and -; prefix in letters, digits, "
            "_ . = / -)"
        )
    return Literal(url)


def role_arn(value: str | None, field: str) -> Literal:
    """Validate an IAM role ARN."""
    if not value or not _ROLE_ARN.match(value):
        raise SnowflakeConfigError(
            f"{field}: {value!r} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"
        )
    return Literal(value)


def lake_key(value: str) -> Literal:
    """A lake key (relative path) as a literal; refuses characters the layout never makes."""
    if not _LAKE_KEY.match(value) or ".." in value.split("/"):
        raise SnowflakeConfigError(f"lake key {value!r} has characters the lake layout never uses")
    return Literal(value)


@dataclass(frozen=True)
class EntityObjects:
    """The Snowflake objects of one source entity."""

    source: str
    entity: str
    table: QualifiedName
    pipe: QualifiedName
    stage_path: str
    pattern: Literal
    on_error: Keyword


@dataclass(frozen=True)
class SnowflakeObjects:
    """Every Snowflake name the scripts and the loader use, validated once."""

    database: Ident
    schema: Ident
    warehouse: Ident
    loader_role: Ident
    dbt_role: Ident
    user: Ident
    integration: Ident
    stage: QualifiedName
    file_format: QualifiedName
    stage_url: Literal | None
    aws_role_arn: Literal | None
    entities: tuple[EntityObjects, ...]

    def entity(self, source: str, entity: str) -> EntityObjects:
        """The objects of one entity."""
        for obj in self.entities:
            if (obj.source, obj.entity) == (source, entity):
                return obj
        raise KeyError(f"{source}.{entity}")


def warehouse_config(config: PipelineConfig) -> SnowflakeWarehouse:
    """The Snowflake warehouse section, or an error naming `warehouse.type`.

    Its `private_key_path` comes back resolved like every path of the file: a
    relative one from the config file's folder, not from the current directory.
    """
    wh = config.warehouse
    if not isinstance(wh, SnowflakeWarehouse):
        raise SnowflakeConfigError(
            f"warehouse.type: is {wh.type!r}; these commands need 'snowflake'"
        )
    if wh.private_key_path:
        key = str(config.resolve_path(wh.private_key_path))
        wh = wh.model_copy(update={"private_key_path": key})
    return wh


def snowflake_objects(
    config: PipelineConfig,
    *,
    dbt_role: str = "GLUEFLAKE_TRANSFORMER",
    require_s3: bool = False,
) -> SnowflakeObjects:
    """Validate every name and literal the Snowflake SQL needs from the config.

    Args:
        config: a pipeline config with ``warehouse.type: snowflake``.
        dbt_role: the role dbt runs as (not part of the pipeline config).
        require_s3: also require an S3 lake and an IAM role ARN (for the set-up scripts).

    Raises:
        SnowflakeConfigError: a value is not usable; the message names the field.
    """
    wh = warehouse_config(config)
    database = ident(wh.database, "warehouse.database")
    schema = ident(wh.landing_schema, "warehouse.landing_schema")
    stage_url: Literal | None = None
    arn: Literal | None = None
    if config.lake.is_s3:
        stage_url = s3_url(config.lake.url, "lake.url")
    elif require_s3:
        raise SnowflakeConfigError(
            f"lake.url: {config.lake.url!r} is not on S3; a Snowflake external stage needs "
            "an s3://bucket/prefix lake"
        )
    if require_s3:
        arn = role_arn(wh.aws_role_arn, "warehouse.aws_role_arn")
    stage = QualifiedName((database, schema, ident(wh.stage, "warehouse.stage")))
    entities = []
    for source, entity in config.entities():
        endpoint = config.sources[source].endpoints[entity]
        table = ident(f"{source}__{entity}", f"sources.{source}.endpoints.{entity}")
        pipe = ident(f"{source}__{entity}_pipe", f"sources.{source}.endpoints.{entity}")
        prefix = entity_prefix(source, entity)
        suffix = re.escape(DATA_SUFFIX).replace("\\.", "[.]")
        pattern = f".*{prefix}ingest_date=[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}/[^/]+{suffix}"
        entities.append(
            EntityObjects(
                source=source,
                entity=entity,
                table=QualifiedName((database, schema, table)),
                pipe=QualifiedName((database, schema, pipe)),
                stage_path=prefix,
                pattern=Literal(pattern),
                on_error=on_error_keyword(endpoint.on_error),
            )
        )
    return SnowflakeObjects(
        database=database,
        schema=schema,
        warehouse=ident(wh.warehouse, "warehouse.warehouse"),
        loader_role=ident(wh.role, "warehouse.role"),
        dbt_role=ident(dbt_role, "dbt role (--dbt-role)"),
        user=ident(wh.user, "warehouse.user"),
        integration=ident(wh.storage_integration, "warehouse.storage_integration"),
        stage=stage,
        file_format=QualifiedName((database, schema, Ident("GLUEFLAKE_NDJSON"))),
        stage_url=stage_url,
        aws_role_arn=arn,
        entities=tuple(entities),
    )


def on_error_keyword(on_error: OnError) -> Keyword:
    """Snowflake's ON_ERROR value for an entity's `on_error`."""
    return Keyword(ON_ERROR_SQL[on_error])


def stage_location(objects: SnowflakeObjects, path: str) -> SafeText:
    """``@DB.SCHEMA.STAGE/path`` for a lake prefix (validated like a lake key)."""
    return SafeText(f"@{objects.stage}/{lake_key(path).value}")


class SafeText(str):
    """Text this module built from validated parts (for example a stage location)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def _only_sql_values(value: Any) -> Any:
    """Jinja finalize hook: everything printed must be a validated SQL value.

    Macro output (Markup) is allowed: it is template text whose own values passed
    through this hook when the macro rendered.
    """
    if isinstance(value, bool):
        raise TypeError("refusing to splice a bool into SQL")
    if isinstance(value, Ident | QualifiedName | Literal | Keyword | int | SafeText | Markup):
        return value
    raise TypeError(
        f"refusing to splice {type(value).__name__} {value!r} into SQL: "
        "only validated identifiers and literals may be rendered"
    )


def template_environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """The Jinja environment for Snowflake SQL templates (strict, SQL values only).

    Autoescape is on so that macro output is marked safe; the SQL value types opt out
    of escaping through ``__html__``, and anything else is refused by `finalize`.

    Args:
        loader: where further templates are (the set-up scripts'); this package's
            own (``_copy.sql.j2``) are found either way.
    """
    own = jinja2.PackageLoader("glueflake.load.snowflake", "templates")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([loader, own]) if loader is not None else own,
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_sql_values,
    )
    env.globals["stage_location"] = stage_location
    return env


def copy_statement(
    objects: SnowflakeObjects,
    entity: EntityObjects,
    files: list[str] | None = None,
    *,
    force: bool = False,
) -> str:
    """The COPY INTO that loads an entity's landing table (the same text its PIPE runs).

    Args:
        objects: the validated names.
        entity: which entity.
        files: data file keys relative to the entity's prefix (``raw/<s>/<e>/``);
            None loads by PATTERN instead (as the pipe does).
        force: reload files Snowflake's load metadata says were loaded.
    """
    literals = [lake_key(f) for f in files] if files is not None else None
    template = template_environment().from_string(
        '{% from "_copy.sql.j2" import copy_into %}{{ copy_into(o, e, files, force) }}'
    )
    return template.render(o=objects, e=entity, files=literals, force=force).strip()
