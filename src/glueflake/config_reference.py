"""The config reference (docs/config.md) and JSON Schema, generated from the pydantic models.

Each field's description is its ``Field(description=...)`` where the model has one,
else the note below (so the models stay as they are). `render_markdown` writes the
whole reference; a test checks docs/config.md equals it, so the page never drifts
from the code. `json_schema` is the schema editors read for completion.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from glueflake import config as cfg

NOTES: dict[str, str] = {
    "SnowflakeSetup.user": "The admin user `snowflake apply` connects as (never the loader).",
    "SnowflakeSetup.role": "The role it connects as; the scripts switch roles per statement.",
    "SnowflakeSetup.private_key_path": "Its key file (or `private_key`).",
    "SnowflakeSetup.private_key": "Its key's PEM text, as `${ENV_VAR}`.",
    "SnowflakeSetup.private_key_passphrase": "The key's passphrase, as `${ENV_VAR}`.",
    "SnowflakeSetup.password": "Or a password, as `${ENV_VAR}`.",
    "SnowflakeSetup.loader_public_key_path": (
        "Public half (PEM file) of the loader user's key pair; "
        "`roles_and_grants.sql` creates `warehouse.user` with it."
    ),
    "SnowflakeSetup.dbt_public_key_path": "The same for `warehouse.dbt_user`.",
    "PipelineConfig.version": "Version of this file's format.",
    "PipelineConfig.extract": "How the extract uses the machine (worker processes).",
    "PipelineConfig.lake": "Where extracted files are written.",
    "PipelineConfig.warehouse": "Where the loader writes landing tables (`type` picks one).",
    "PipelineConfig.demo": "The bundled demo API, for sources with `base_url: demo`.",
    "PipelineConfig.dbt": "The dbt project and target the transform stage builds.",
    "PipelineConfig.setup": "Snowflake's admin connection for `glueflake snowflake apply`.",
    "PipelineConfig.sources": "REST APIs by name (lowercase, digits, `_`).",
    "PipelineConfig.notify": "A webhook told about runs (none: no notifications).",
    "Lake.url": "A local folder (relative to this file) or `s3://bucket/prefix`.",
    "Lake.region": "AWS region of the bucket.",
    "DuckDBWarehouse.type": "Picks this warehouse.",
    "DuckDBWarehouse.path": "The DuckDB file (relative to this file).",
    "DuckDBWarehouse.landing_schema": "Schema of the landing tables.",
    "SnowflakeWarehouse.type": "Picks this warehouse.",
    "SnowflakeWarehouse.account": "Account identifier (`orgname-account`).",
    "SnowflakeWarehouse.user": "User the loader connects as.",
    "SnowflakeWarehouse.password": "Password, as `${ENV_VAR}` (or use a private key).",
    "SnowflakeWarehouse.private_key_path": "Key-pair auth: the PEM file (relative to this file).",
    "SnowflakeWarehouse.private_key_passphrase": "Passphrase of the key, as `${ENV_VAR}`.",
    "SnowflakeWarehouse.role": "Role the loader uses.",
    "SnowflakeWarehouse.warehouse": "Virtual warehouse COPY runs on.",
    "SnowflakeWarehouse.database": "Database of the landing schema.",
    "SnowflakeWarehouse.landing_schema": "Schema of the landing tables.",
    "SnowflakeWarehouse.stage": "External stage over the lake.",
    "SnowflakeWarehouse.storage_integration": "Storage integration the stage uses.",
    "SnowflakeWarehouse.aws_role_arn": "IAM role Snowflake assumes to read the lake.",
    "SnowflakeWarehouse.mode": "`copy`: COPY INTO per run; `snowpipe`: AUTO_INGEST pipes.",
    "SnowflakeWarehouse.snowpipe_timeout": "Seconds `load` waits for Snowpipe to load a run.",
    "Demo.seed": "Seed of the generated data.",
    "Demo.scale": "Orders on the reference day.",
    "Demo.day": "Simulated day (default: days since 2026-01-01).",
    "Dbt.project_dir": "Folder of dbt_project.yml (relative to this file).",
    "Dbt.profiles_dir": "Folder of profiles.yml (relative to this file).",
    "Dbt.target": "Profile target: `dev`/`ci` (DuckDB) or `prod` (Snowflake).",
    "Source.auth": "How requests authenticate (`type` picks one).",
    "Source.headers": "Extra request headers (no secrets: use `auth`).",
    "Source.timeout": "Seconds per request.",
    "Source.retries": "Retries of 429, 5xx and connection errors.",
    "Source.concurrency": "Requests in flight at once per endpoint.",
    "Source.endpoints": "Endpoints by entity name; each lands in `landing.<source>__<entity>`.",
    "Endpoint.path": "Path below `base_url`, starting with `/`.",
    "Endpoint.primary_key": "Field (or fields) identifying a record; raw models dedupe on it.",
    "Endpoint.params": "Query parameters sent on every request.",
    "Endpoint.pagination": "How pages follow each other (`type` picks one).",
    "Endpoint.incremental": "Extract only what changed since the last run.",
    "Endpoint.on_error": "A bad record: `continue` (to rejects), `skip_file` or `abort`.",
    "Endpoint.file_max_records": "Records per lake file at most.",
    "Incremental.cursor_field": "Dotted path of the record field that orders changes.",
    "Incremental.param": "Query parameter that takes the bookmark.",
    "Incremental.initial": "Bookmark before the first committed run.",
    "Retries.max_attempts": "Attempts per request, the first included.",
    "Retries.backoff_initial": "Seconds before the first retry (doubling, with jitter).",
    "Retries.backoff_max": "Longest wait between attempts, in seconds.",
    "SinglePage.type": "Picks this pagination.",
    "PageNumberPagination.type": "Picks this pagination.",
    "PageNumberPagination.page_param": "Query parameter of the page number.",
    "PageNumberPagination.size_param": "Query parameter of the page size.",
    "PageNumberPagination.page_size": "Records asked for per page.",
    "PageNumberPagination.first_page": "Number of the first page.",
    "OffsetPagination.type": "Picks this pagination.",
    "OffsetPagination.offset_param": "Query parameter of the offset.",
    "OffsetPagination.limit_param": "Query parameter of the page size.",
    "OffsetPagination.page_size": "Records asked for per page.",
    "CursorPagination.type": "Picks this pagination.",
    "CursorPagination.cursor_param": "Query parameter the cursor is sent in.",
    "CursorPagination.cursor_path": "Dotted path of the next cursor in the body.",
    "CursorPagination.limit_param": "Query parameter of the page size.",
    "CursorPagination.page_size": "Records asked for per page.",
    "LinkHeaderPagination.type": "Picks this pagination.",
    "LinkHeaderPagination.size_param": "Query parameter of the page size on the first request.",
    "LinkHeaderPagination.page_size": "Records asked for per page.",
    "NextUrlPagination.type": "Picks this pagination.",
    "NextUrlPagination.page_size": "Records asked for per page (with `size_param`).",
    "NoAuth.type": "Picks no authentication.",
    "ApiKeyAuth.type": "Picks this auth.",
    "ApiKeyAuth.key": "The key, as `${ENV_VAR}`.",
    "ApiKeyAuth.name": "Header or query parameter name.",
    "ApiKeyAuth.location": "Where the key goes.",
    "BearerAuth.type": "Picks this auth.",
    "BearerAuth.token": "The token, as `${ENV_VAR}`.",
    "BasicAuth.type": "Picks this auth.",
    "BasicAuth.username": "User name.",
    "BasicAuth.password": "Password, as `${ENV_VAR}`.",
}

EXAMPLES: dict[str, str] = {
    "SinglePage": "pagination: {type: single_page}",
    "PageNumberPagination": "pagination: {type: page_number, page_param: page, "
    "size_param: per_page, page_size: 100}",
    "OffsetPagination": "pagination: {type: offset, offset_param: offset, limit_param: limit, "
    "page_size: 100}",
    "CursorPagination": "pagination: {type: cursor, cursor_param: cursor, "
    "cursor_path: meta.next_cursor, limit_param: limit, page_size: 100}",
    "LinkHeaderPagination": "pagination: {type: link_header, size_param: per_page, page_size: 100}",
    "NextUrlPagination": "pagination: {type: next_url, next_path: links.next}",
    "NoAuth": "auth: {type: none}",
    "ApiKeyAuth": 'auth: {type: api_key, key: "${SHOP_API_KEY}", name: X-API-Key, '
    "location: header}",
    "BearerAuth": 'auth: {type: bearer, token: "${GITHUB_TOKEN}"}',
    "BasicAuth": 'auth: {type: basic, username: etl, password: "${API_PASSWORD}"}',
    "Notify": 'notify: {webhook: "${SLACK_WEBHOOK_URL}", when: failure}',
}

SECTIONS: tuple[tuple[str, tuple[type[BaseModel], ...]], ...] = (
    ("The file", (cfg.PipelineConfig,)),
    ("Sources", (cfg.Source, cfg.Endpoint, cfg.Incremental, cfg.Retries, cfg.ExtractSettings)),
    (
        "Pagination",
        (
            cfg.SinglePage,
            cfg.PageNumberPagination,
            cfg.OffsetPagination,
            cfg.CursorPagination,
            cfg.LinkHeaderPagination,
            cfg.NextUrlPagination,
        ),
    ),
    ("Auth", (cfg.NoAuth, cfg.ApiKeyAuth, cfg.BearerAuth, cfg.BasicAuth)),
    (
        "Lake, warehouse, set-up, demo, dbt, notify",
        (cfg.Lake, *cfg.WAREHOUSE_MODELS.values(), cfg.SnowflakeSetup),
    ),
    ("", (cfg.Demo, cfg.Dbt, cfg.Notify)),
)
_HIDDEN = {"PipelineConfig.base_dir"}


def description(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    """A field's description: the model's own, else the note above."""
    return info.description or NOTES.get(f"{model.__name__}.{name}", "")


def _anchor(model: type[BaseModel]) -> str:
    return f"#{model.__name__.lower()}"


def type_text(annotation: Any, metadata: list[Any] | None = None) -> str:
    """A field type as the reference shows it (``int > 0``, ``one of ...``)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return type_text(args[0], [*args[1:], *(metadata or [])])
    text: str
    if origin is Literal:
        text = " \\| ".join(f"`{a}`" for a in args)
    elif origin in (Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        text = " or ".join(type_text(a) for a in present)
        if len(present) < len(args):
            text += " (optional)"
    elif origin is dict:
        text = f"map of {type_text(args[0])} to {type_text(args[1])}"
    elif origin is list:
        text = f"list of {type_text(args[0])}"
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        text = f"[{annotation.__name__}]({_anchor(annotation)})"
    elif annotation is SecretStr:
        text = "secret `${ENV_VAR}`"
    else:
        text = getattr(annotation, "__name__", str(annotation))
    return text + _constraints(metadata or [])


def _constraints(metadata: list[Any]) -> str:
    bounds = []
    for item in metadata:
        for bound in item.metadata if isinstance(item, FieldInfo) else [item]:
            for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
                value = getattr(bound, attr, None)
                if value is not None:
                    bounds.append(f"{sign} {value}")
    return f", {', '.join(bounds)}" if bounds else ""


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "see its section" if isinstance(value, BaseModel) else f"`{value!r}`"
    if info.default is PydanticUndefined:
        return "**required**"
    if info.default is None:
        return "none"
    if isinstance(info.default, str):
        return f'`"{info.default}"`'
    return f"`{info.default!r}`"


def _model(model: type[BaseModel]) -> list[str]:
    doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    lines = [f"### {model.__name__}", "", doc, ""]
    lines += ["| field | type | default | description |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        if f"{model.__name__}.{name}" in _HIDDEN:
            continue
        text = description(model, name, info).replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| `{name}` | {type_text(info.annotation, list(info.metadata))} | "
            f"{_default(info)} | {text} |"
        )
    example = EXAMPLES.get(model.__name__)
    if example:
        lines += ["", "```yaml", example, "```"]
    return [*lines, ""]


def render_markdown() -> str:
    """The whole config reference (docs/config.md)."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated from the pydantic models in src/glueflake/config.py by",
        "     `glueflake config reference > docs/config.md`; a test checks it is current. -->",
        "",
        "`pipeline.yml` (or the file given with `-c`) is validated against these models at",
        "start; a bad file fails with one line per bad field. Any value can be overridden",
        "by `GLUEFLAKE__<PATH>` (keys joined by `__`). Secrets are written as `${ENV_VAR}`;",
        'in a flow mapping (`{...}`) quote them: `token: "${TOKEN}"`. Relative paths are',
        "taken from the config file's folder. `glueflake config schema` prints the same as",
        "a JSON Schema for editors.",
        "",
    ]
    for title, models in SECTIONS:
        if title:
            lines += [f"## {title}", ""]
        for model in models:
            lines += _model(model)
    return "\n".join(lines).rstrip() + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, with every field's description."""
    schema = cfg.PipelineConfig.model_json_schema(mode="validation")
    schema["properties"].pop("base_dir", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "glueflake pipeline configuration"
    models = {m.__name__: m for _, ms in SECTIONS for m in ms}
    for name, definition in [("PipelineConfig", schema), *schema.get("$defs", {}).items()]:
        model = models.get(name)
        if model is None:
            continue
        for field, prop in definition.get("properties", {}).items():
            info = model.model_fields.get(field)
            if info is not None and "description" not in prop:
                text = description(model, field, info)
                if text:
                    prop["description"] = text
    return schema
