"""Typed pipeline configuration: `pipeline.yml`, `${ENV}` secrets and env overrides.

The file is validated with pydantic. Every value can be overridden by an environment
variable named after its path, `GLUEFLAKE__` + the keys joined by `__`, for example
``GLUEFLAKE__WAREHOUSE__PATH=/tmp/w.duckdb`` or
``GLUEFLAKE__SOURCES__SHOP__ENDPOINTS__ORDERS__PAGINATION__PAGE_SIZE=500``.

Secrets (auth keys, tokens, passwords) must be written as ``${ENV_VAR}``; they are
resolved at load time into `SecretStr` and never logged or written anywhere.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import parse_qsl, urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

ENV_OVERRIDE_PREFIX = "GLUEFLAKE__"
DEMO_BASE_URL = "demo"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SECRET_FIELDS = frozenset(
    {"key", "token", "password", "private_key", "private_key_passphrase", "webhook"}
)
#: The config sections that hold secrets; a stage resolves only the sections it uses
#: (the extract: ``sources``; the loader: ``warehouse``; `snowflake apply`: ``setup``;
#: a run's notification: ``notify``),
#: see `load_config`.
SECRET_SECTIONS = ("sources", "warehouse", "setup", "notify")
_INLINE_SECRET = "secrets must be written as ${ENV_VAR}, not inline"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Placeholder values the demo API gets when its key variable is unset: one per
# variable and process, so every source that names the variable shares it.
_EPHEMERAL: dict[str, str] = {}


_USERINFO = re.compile(r"^https?://[^/?#]*@")
_CREDENTIAL_ELSEWHERE = (
    f"looks like a credential; {_INLINE_SECRET}: put it in auth (api_key with location "
    "header or query, bearer, or basic)"
)
_CREDENTIAL_NAMES = frozenset(
    {
        "apikey",
        "api_key",
        "key",
        "access_key",
        "secret_key",
        "private_key",
        "token",
        "access_token",
        "auth_token",
        "private_token",
        "refresh_token",
        "id_token",
        "session_token",
        "auth",
        "authorization",
        "proxy_authorization",
        "cookie",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "signature",
        "sig",
        "session",
        "sessionid",
        "session_id",
        "credential",
        "credentials",
    }
)


def is_credential_name(name: str) -> bool:
    """Whether a header or query parameter name is one that carries a credential.

    ``Authorization``, ``X-API-Key``, ``access_token``, ``Cookie``, ``client_secret``
    and the like (case, ``-`` or ``_`` and an ``x-`` prefix do not matter).
    """
    norm = name.strip().lower().replace("-", "_")
    norm = norm.removeprefix("x_")
    return norm in _CREDENTIAL_NAMES or norm.endswith(("_token", "_secret", "_password"))


class ConfigError(Exception):
    """The configuration is invalid; the message names the file and each bad field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(
            f"{value!r} is not a valid name: use lowercase letters, digits and _, "
            "starting with a letter (at most 63 characters)"
        )
    return value


Identifier = Annotated[str, Field(min_length=1)]
PositiveInt = Annotated[int, Field(gt=0)]


# --- pagination -------------------------------------------------------------------


class SinglePage(_Model):
    """The whole result comes in one response."""

    type: Literal["single_page"] = "single_page"


class PageNumberPagination(_Model):
    """``?page=N&per_page=M``; stops on a short or empty page."""

    type: Literal["page_number"]
    page_param: str = "page"
    size_param: str = "per_page"
    page_size: PositiveInt = 100
    first_page: Annotated[int, Field(ge=0)] = 1


class OffsetPagination(_Model):
    """``?offset=N&limit=M``; stops on a short or empty page."""

    type: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: PositiveInt = 100


class CursorPagination(_Model):
    """The body names the next cursor (at `cursor_path`); null or absent ends it."""

    type: Literal["cursor"]
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"
    limit_param: str = "limit"
    page_size: PositiveInt = 100


class LinkHeaderPagination(_Model):
    """RFC 8288 ``Link: <url>; rel="next"``; no such link ends it."""

    type: Literal["link_header"]
    size_param: str | None = "per_page"
    page_size: PositiveInt = 100


class NextUrlPagination(_Model):
    """The body names the next page's URL (at `next_path`); null or absent ends it."""

    type: Literal["next_url"]
    next_path: str = Field(
        default="next", description="dotted path of the next page's URL in the body"
    )
    size_param: str | None = Field(
        default=None, description="query parameter of the page size on the first request"
    )
    page_size: PositiveInt = 100


Pagination = Annotated[
    SinglePage
    | PageNumberPagination
    | OffsetPagination
    | CursorPagination
    | LinkHeaderPagination
    | NextUrlPagination,
    Field(discriminator="type"),
]


# --- auth ---------------------------------------------------------------------------


class NoAuth(_Model):
    """No authentication."""

    type: Literal["none"] = "none"


class ApiKeyAuth(_Model):
    """An API key in a header (default) or a query parameter."""

    type: Literal["api_key"]
    key: SecretStr
    name: str = "X-API-Key"
    location: Literal["header", "query"] = "header"


class BearerAuth(_Model):
    """``Authorization: Bearer <token>``."""

    type: Literal["bearer"]
    token: SecretStr


class BasicAuth(_Model):
    """HTTP basic authentication."""

    type: Literal["basic"]
    username: str
    password: SecretStr


Auth = Annotated[NoAuth | ApiKeyAuth | BearerAuth | BasicAuth, Field(discriminator="type")]


# --- sources ------------------------------------------------------------------------


class Incremental(_Model):
    """Extract only records changed since the bookmark.

    Attributes:
        cursor_field: dotted path of the record field that orders changes.
        param: query parameter that takes the bookmark value.
        initial: value used before the first committed run.
        cursor_type: what a cursor value must be; a record whose value is not (or, a
            timestamp, lies beyond the run's clock plus `max_future_skew`) is rejected.
        max_future_skew: seconds a timestamp may lie ahead of the run's clock.
    """

    cursor_field: str
    param: str
    initial: str = "1970-01-01T00:00:00Z"
    cursor_type: Literal["timestamp", "number", "text"] = Field(
        default="timestamp",
        description="timestamp: ISO-8601 strings (or numbers), checked against the run's "
        "clock; number: numbers only; text: any string or number, compared as served",
    )
    max_future_skew: Annotated[float, Field(ge=0)] = Field(
        default=900.0,
        description="seconds a timestamp cursor may lie beyond the run's clock; a record "
        "further ahead (or whose cursor is no timestamp) is rejected and never moves the "
        "bookmark",
    )


class Retries(_Model):
    """Retry policy for 429, 5xx and connection errors (exponential backoff, jitter)."""

    max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    backoff_initial: Annotated[float, Field(ge=0)] = 0.5
    backoff_max: Annotated[float, Field(gt=0)] = 30.0
    max_retry_after: Annotated[float, Field(ge=0)] = Field(
        default=120.0, description="longest Retry-After (seconds) waited without a word"
    )
    retry_after_over_max: Literal["fail", "wait"] = Field(
        default="fail",
        description="a longer Retry-After: fail at once naming it, or wait it out with a "
        "countdown on stderr",
    )


OnError = Literal["continue", "skip_file", "abort"]


class Endpoint(_Model):
    """One REST endpoint, extracted into one lake entity and one landing table."""

    path: str
    records: str = Field(
        default="", description="dotted path of the record list in the body; '' = the body"
    )
    primary_key: str | list[str]
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    pagination: Pagination = Field(default_factory=SinglePage)
    incremental: Incremental | None = None
    write_disposition: Literal["append", "replace"] = Field(
        default="append",
        description="replace = full refresh: skipped when the payload hash is unchanged",
    )
    on_error: OnError = "continue"
    file_max_records: PositiveInt = 100_000

    @field_validator("params")
    @classmethod
    def _no_secret_in_params(
        cls, value: dict[str, str | int | float | bool]
    ) -> dict[str, str | int | float | bool]:
        for name in value:
            if is_credential_name(name):
                raise ValueError(f"param {name!r}: {_CREDENTIAL_ELSEWHERE}")
        return value

    @field_validator("path")
    @classmethod
    def _path_is_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with '/' (got {value!r})")
        return value


class Source(_Model):
    """A REST API and the endpoints extracted from it."""

    base_url: str = Field(description="http(s) URL, or 'demo' for the bundled demo API")
    auth: Auth = Field(default_factory=NoAuth)
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Annotated[float, Field(gt=0)] = Field(
        default=30.0, description="seconds per connect or read (each chunk of a body)"
    )
    request_deadline: Annotated[float, Field(gt=0)] = Field(
        default=300.0,
        description="seconds one request may take as a whole, its body included (a server "
        "trickling a body is cut off and the request retried)",
    )
    retries: Retries = Field(default_factory=Retries)
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    endpoints: dict[str, Endpoint]

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if _USERINFO.match(value):  # never echoed: it holds a user:password
            raise ValueError(
                "holds a user name or password before '@'; "
                f"{_INLINE_SECRET}: use auth: basic with password: ${{ENV_VAR}}"
            )
        query = urlsplit(value).query if value != DEMO_BASE_URL else ""
        for name, _ in parse_qsl(query, keep_blank_values=True):
            if is_credential_name(name):  # never echoed: the value is the secret
                raise ValueError(f"query parameter {name!r}: {_CREDENTIAL_ELSEWHERE}")
        if value != DEMO_BASE_URL and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http(s) URL or 'demo' (got {value!r})")
        return value.rstrip("/")

    @field_validator("headers")
    @classmethod
    def _no_secret_in_headers(cls, value: dict[str, str]) -> dict[str, str]:
        # Only auth fields resolve ${ENV_VAR}; a header would send the text as written.
        for name, text in value.items():
            if "${" in text:
                raise ValueError(
                    f"header {name!r}: ${{ENV_VAR}} is resolved only in auth fields (a "
                    "header is sent as written); use auth: api_key (location: header) "
                    "or bearer"
                )
            if is_credential_name(name):
                raise ValueError(f"header {name!r}: {_CREDENTIAL_ELSEWHERE}")
        return value

    @field_validator("endpoints")
    @classmethod
    def _entity_names(cls, value: dict[str, Endpoint]) -> dict[str, Endpoint]:
        if not value:
            raise ValueError("at least one endpoint is required")
        for name in value:
            _identifier(name)
        return value

    @property
    def is_demo(self) -> bool:
        """Whether this source is served by the bundled demo API."""
        return self.base_url == DEMO_BASE_URL


# --- lake, warehouse, demo, dbt -----------------------------------------------------


class Lake(_Model):
    """Where the raw files live: a local directory or ``s3://bucket/prefix``."""

    url: str = ".glueflake/lake"
    endpoint_url: str | None = Field(default=None, description="S3 endpoint override")
    region: str | None = None
    lease_ttl: Annotated[float, Field(gt=0)] = Field(
        default=3600.0,
        description="seconds after which an extract's or a run's lease on the lake is "
        "stale (a holder on this machine whose process is gone is stale at once)",
    )

    @property
    def is_s3(self) -> bool:
        """Whether the lake is on S3 (or an S3-protocol server)."""
        return self.url.startswith("s3://")


class WarehouseSettings(_Model):
    """What every warehouse section has: the ``type`` that picks its backend.

    Each kind of warehouse is a subclass whose ``type`` is one ``Literal`` tag,
    registered with `register_warehouse_model` (the loader's registry does it with
    the backend, see `glueflake.load.registry`).
    """

    type: str


#: The warehouse section's models, by their ``type`` tag.
WAREHOUSE_MODELS: dict[str, type[WarehouseSettings]] = {}


def model_tag(model: type[BaseModel]) -> str:
    """The one ``Literal`` tag of a model's ``type`` field (its discriminator value).

    Raises:
        TypeError: the model's ``type`` is not a single-value ``Literal``.
    """
    field = model.model_fields.get("type")
    tags = get_args(field.annotation) if field is not None else ()
    if len(tags) != 1 or not isinstance(tags[0], str):
        raise TypeError(f"{model.__name__}.type must be a Literal of one string")
    return tags[0]


def register_warehouse_model(model: type[WarehouseSettings]) -> None:
    """Accept ``warehouse: {type: <model's tag>, ...}`` sections, validated by `model`."""
    WAREHOUSE_MODELS[model_tag(model)] = model
    if "PipelineConfig" in globals():  # registered after the config model was built
        PipelineConfig.model_rebuild(force=True)


class _RegisteredWarehouse:
    """Validates a warehouse section as the union of the registered models, by ``type``."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        choices = {tag: handler.generate_schema(m) for tag, m in WAREHOUSE_MODELS.items()}
        return core_schema.tagged_union_schema(choices, discriminator="type")


class DuckDBWarehouse(WarehouseSettings):
    """The embedded default warehouse: one DuckDB file."""

    type: Literal["duckdb"] = "duckdb"
    path: str = ".glueflake/warehouse.duckdb"
    landing_schema: str = "landing"


class SnowflakeWarehouse(WarehouseSettings):
    """Snowflake: loading through COPY INTO or Snowpipe from an external stage."""

    type: Literal["snowflake"]
    account: str
    user: str
    password: SecretStr | None = None
    private_key_path: str | None = None
    private_key: SecretStr | None = Field(
        default=None,
        description="the PEM text of the key, from ${ENV_VAR} (e.g. filled from Secrets "
        "Manager on Glue, where no key file exists); used instead of private_key_path",
    )
    private_key_passphrase: SecretStr | None = None
    role: str = "GLUEFLAKE_LOADER"
    dbt_user: str = Field(
        default="GLUEFLAKE_DBT_USER", description="the user dbt connects as (profile `prod`)"
    )
    dbt_role: str = Field(
        default="GLUEFLAKE_TRANSFORMER", description="the role dbt runs as (profile `prod`)"
    )
    warehouse: str = "GLUEFLAKE_WH"
    database: str = "GLUEFLAKE"
    landing_schema: str = "LANDING"
    stage: str = "GLUEFLAKE_LAKE"
    storage_integration: str = "GLUEFLAKE_S3"
    aws_role_arn: str | None = None
    mode: Literal["copy", "snowpipe"] = "copy"
    snowpipe_timeout: Annotated[float, Field(gt=0)] = 600.0

    @field_validator("role", "dbt_role")
    @classmethod
    def _not_an_admin_role(cls, value: str) -> str:
        if value.upper() in ADMIN_ROLES:
            raise ValueError(
                f"{value!r} is an administrator's role; the loader and dbt run as their "
                "own least-privilege roles (setup.role is the set-up scripts' role)"
            )
        return value

    def dbt_environment(self) -> dict[str, str]:
        """The variables profiles.yml's ``prod`` target reads, from this section.

        One source of truth for the names: the set-up scripts are rendered from this
        section, and dbt gets the same account, user, role, warehouse and database
        (set only where the environment does not already say otherwise).
        """
        return {
            "SNOWFLAKE_ACCOUNT": self.account,
            "SNOWFLAKE_USER": self.dbt_user,
            "SNOWFLAKE_ROLE": self.dbt_role,
            "SNOWFLAKE_WAREHOUSE": self.warehouse,
            "SNOWFLAKE_DATABASE": self.database,
        }


register_warehouse_model(DuckDBWarehouse)
register_warehouse_model(SnowflakeWarehouse)
#: The warehouse section: any registered model, chosen by its ``type``.
Warehouse = Annotated[WarehouseSettings, _RegisteredWarehouse]

#: Roles a service user (the loader, dbt) must never run as.
ADMIN_ROLES = frozenset({"ACCOUNTADMIN", "ORGADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN"})


class SnowflakeSetup(_Model):
    """The admin connection `glueflake snowflake apply` runs the set-up scripts as.

    Its own user, role and key: never the loader's (`warehouse.user` does not exist
    yet on an empty account, and must never hold an admin role). The scripts switch
    to ACCOUNTADMIN, SYSADMIN, USERADMIN and SECURITYADMIN as each statement needs,
    so the user needs those roles (an account administrator has them).

    Attributes:
        user: the admin user (a person's, or a deploy user).
        role: the role it connects as.
        private_key_path: its key file (or `private_key`, the PEM from ``${ENV}``).
        private_key: the key's PEM text, from ``${ENV}``.
        private_key_passphrase: the key's passphrase, from ``${ENV}``.
        password: or a password, from ``${ENV}``.
        loader_public_key_path: the public half (PEM file) of the loader user's key
            pair; `roles_and_grants.sql` creates ``warehouse.user`` with it.
        dbt_public_key_path: the same for ``warehouse.dbt_user``.
    """

    user: str | None = None
    role: str = "ACCOUNTADMIN"
    private_key_path: str | None = None
    private_key: SecretStr | None = None
    private_key_passphrase: SecretStr | None = None
    password: SecretStr | None = None
    loader_public_key_path: str | None = None
    dbt_public_key_path: str | None = None


class Demo(_Model):
    """Settings of the bundled demo API (used by sources whose base_url is 'demo')."""

    seed: int = 42
    scale: PositiveInt = 20_000
    day: Annotated[int, Field(ge=0)] | None = None
    hour: Annotated[int, Field(ge=1, le=24)] = Field(
        default=24,
        description="hours of the simulated day that have passed: the API serves the world "
        "as at the end of that hour; 24 = the end of the day",
    )
    fault_rate: Annotated[float, Field(ge=0, le=1)] = Field(
        default=0.0,
        description="share of API requests that meet an injected fault (500, 429, reset, "
        "truncated or slow body): for chaos tests (`make chaos`)",
    )


class Dbt(_Model):
    """Where the dbt project is and which target to build."""

    project_dir: str = "."
    profiles_dir: str = "."
    target: str = "dev"
    target_path: str | None = Field(
        default=None, description="dbt's target/ folder; default: <project_dir>/target"
    )
    log_path: str | None = Field(
        default=None, description="dbt's log folder; default: <project_dir>/logs"
    )


class Notify(_Model):
    """A webhook told about each `glueflake run`: a short JSON document, POSTed."""

    webhook: SecretStr = Field(
        description="URL to POST to, as ${ENV_VAR} (webhook URLs carry their own token)"
    )
    when: Literal["failure", "always"] = Field(
        default="failure", description="failure: only failed runs; always: every run"
    )
    timeout: Annotated[float, Field(gt=0)] = Field(
        default=10.0, description="seconds to wait for the webhook"
    )


class ExtractSettings(_Model):
    """How the extract uses this machine."""

    workers: Annotated[int, Field(ge=0, le=64)] | Literal["auto"] = Field(
        default="auto",
        description="worker processes that fetch, decode, filter and gzip whole pages "
        "(0 = in-process; auto = none below 4 CPUs, else CPUs - 1, at most 4)",
    )


class PipelineConfig(_Model):
    """The whole pipeline: sources, lake, warehouse, dbt."""

    version: Literal[1] = 1
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    lake: Lake = Field(default_factory=Lake)
    warehouse: Warehouse = Field(default_factory=DuckDBWarehouse)
    demo: Demo = Field(default_factory=Demo)
    dbt: Dbt = Field(default_factory=Dbt)
    setup: SnowflakeSetup | None = None
    notify: Notify | None = None
    sources: dict[str, Source]
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, Source]) -> dict[str, Source]:
        if not value:
            raise ValueError("at least one source is required")
        for name in value:
            _identifier(name)
        return value

    @field_validator("warehouse", mode="before")
    @classmethod
    def _duckdb_by_default(cls, value: Any) -> Any:
        # The section is optional (DuckDB), so a section without a type is DuckDB too,
        # e.g. the one GLUEFLAKE__WAREHOUSE__PATH makes on a file without it.
        if isinstance(value, dict) and "type" not in value:
            return {**value, "type": "duckdb"}
        return value

    @model_validator(mode="after")
    def _table_names_fit(self) -> PipelineConfig:
        for source, entity in self.entities():
            if len(f"{source}__{entity}") > 63:
                raise ValueError(f"landing table name {source}__{entity} is over 63 characters")
        return self

    def entities(self) -> list[tuple[str, str]]:
        """All (source, entity) pairs, in file order."""
        return [(s, e) for s, src in self.sources.items() for e in src.endpoints]

    def select(self, names: list[str] | None) -> list[tuple[str, str]]:
        """Resolve ``source`` or ``source.entity`` names to (source, entity) pairs.

        Raises:
            ConfigError: a name matches no configured source or entity.
        """
        if not names:
            return self.entities()
        chosen: list[tuple[str, str]] = []
        for name in names:
            source, _, entity = name.partition(".")
            hits = [(s, e) for s, e in self.entities() if s == source and entity in ("", e)]
            if not hits:
                known = ", ".join(f"{s}.{e}" for s, e in self.entities())
                raise ConfigError(f"unknown entity {name!r}; configured: {known}")
            chosen.extend(h for h in hits if h not in chosen)
        return chosen

    def resolve_path(self, value: str) -> Path:
        """A path from the file, taken relative to the config file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path


# --- loading ------------------------------------------------------------------------


def load_config(
    path: Path | str,
    environ: Mapping[str, str] | None = None,
    *,
    resolve_secrets: bool | Collection[str] = True,
) -> PipelineConfig:
    """Read, override from the environment, resolve secrets and validate a config file.

    Args:
        path: the YAML file.
        environ: environment to read overrides and secrets from (default os.environ).
        resolve_secrets: resolve each ``${ENV_VAR}`` secret (an unset variable is an
            error). False is for commands that need no credential (rendering SQL):
            no secret is read from the environment; the optional Snowflake secrets
            (``warehouse.password``, ``warehouse.private_key``,
            ``warehouse.private_key_passphrase``) are left None and a source's auth
            secret, which its auth type requires, is an empty `SecretStr`, so such a
            config can authenticate nowhere. A collection of `SECRET_SECTIONS`
            resolves only those sections' secrets and leaves the others unresolved
            that way: a stage asks only for what it uses (the extract ``{"sources"}``,
            the loader ``{"warehouse"}``), so the Glue extract never needs the
            warehouse's key passphrase. A secret written inline is refused either way.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: the file is missing, not YAML, or invalid; the message names the
            file and every bad field with what was expected.
    """
    path = Path(path)
    env = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}{_unquoted_env_hint(path, exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    problems: list[str] = []
    origins: dict[str, str] = {}
    apply_env_overrides(raw, env, problems, origins)
    if isinstance(resolve_secrets, bool):
        sections = frozenset(SECRET_SECTIONS if resolve_secrets else ())
    else:
        sections = frozenset(resolve_secrets)
        unknown = sections - set(SECRET_SECTIONS)
        if unknown:
            raise ValueError(f"resolve_secrets: unknown section(s) {sorted(unknown)}")
    _resolve_secrets(raw, env, problems, sections=sections)
    raw["base_dir"] = path.resolve().parent
    # Validate even after a problem above, so every bad field is named at once (a
    # missing base_url is why a key looks required); skip the fields already named.
    named = {problem.split(": ", 1)[0] for problem in problems}
    try:
        config = PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        described = (_describe(err, origins) for err in exc.errors())
        problems.extend(d for d in described if d.split(": ", 1)[0] not in named)
    else:
        if not problems:
            return config
    raise ConfigError(f"{path}: invalid configuration\n" + "\n".join(f"  {p}" for p in problems))


def _unquoted_env_hint(path: Path, exc: yaml.YAMLError) -> str:
    """A hint when the YAML error is an unquoted ``${VAR}`` in a flow mapping or list.

    In ``{token: ${TOKEN}}`` the ``{`` after ``$`` opens a nested flow mapping, which
    YAML then reports as a missing ``,`` or ``}``; quoting the value is the fix.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for number in range(max(0, mark.line - 1), min(len(lines), mark.line + 1)):
        found = re.search(r"(?<![\"'])\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lines[number])
        if found:
            return (
                f"\n  hint: line {number + 1}: quote ${{{found.group(1)}}} inside "
                f'{{...}} or [...]: "${{{found.group(1)}}}"'
            )
    return ""


def apply_env_overrides(
    raw: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[str],
    origins: dict[str, str] | None = None,
) -> None:
    """Set ``GLUEFLAKE__A__B=value`` into ``raw['a']['b']`` (value parsed as YAML).

    `origins`, when given, maps each dotted field set this way (``a.b``) to the
    variable that set it, so a validation error can name the variable too.
    """
    for name in sorted(environ):
        if not name.startswith(ENV_OVERRIDE_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_OVERRIDE_PREFIX) :].split("__")]
        node: Any = raw
        for i, key in enumerate(keys[:-1]):
            if not isinstance(node, dict):
                node = None
                break
            keys[i] = _existing_key(node, key)
            node = node.setdefault(keys[i], {})
        if not isinstance(node, dict) or not all(keys):
            problems.append(f"{name}: does not name a config field")
            continue
        keys[-1] = _existing_key(node, keys[-1])
        try:
            node[keys[-1]] = yaml.safe_load(environ[name])
        except yaml.YAMLError:
            node[keys[-1]] = environ[name]
        if origins is not None:
            origins[".".join(keys)] = name


def _existing_key(node: dict[str, Any], key: str) -> str:
    """The key of `node` that `key` names regardless of case (a map's ``pageSize``)."""
    if key in node:
        return key
    return next((k for k in node if isinstance(k, str) and k.lower() == key), key)


def _resolve_secrets(
    raw: Any,
    environ: Mapping[str, str],
    problems: list[str],
    *,
    sections: Collection[str] = SECRET_SECTIONS,
) -> None:
    sources = raw.get("sources") if isinstance(raw.get("sources"), dict) else {}
    demo_sources = {
        name
        for name, src in sources.items()
        if isinstance(src, dict) and src.get("base_url") == "demo"
    }

    def walk(node: Any, loc: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        for key, value in list(node.items()):
            where = (*loc, str(key))
            if isinstance(value, dict):
                walk(value, where)
            elif key in _SECRET_FIELDS and value is not None:
                if where[0] in sections:
                    node[key] = _secret_value(value, where, environ, demo_sources, problems)
                elif not _ENV_REF.match(str(value)):
                    problems.append(f"{'.'.join(where)}: {_INLINE_SECRET}")
                    node[key] = None
                else:
                    # Unresolved: None where the field is optional (the warehouse's),
                    # an empty secret where it is required (a source's auth, a webhook).
                    node[key] = "" if where[0] in ("sources", "notify") else None

    walk(raw, ())


def _secret_value(
    value: Any,
    loc: tuple[str, ...],
    environ: Mapping[str, str],
    demo_sources: set[str],
    problems: list[str],
) -> str | None:
    field = ".".join(loc)
    ref = _ENV_REF.match(str(value))
    if not ref:
        problems.append(f"{field}: {_INLINE_SECRET}")
        return None
    var = ref.group(1)
    if environ.get(var):
        # A PEM key is lines by nature; every other secret goes into a header or a URL.
        if loc[-1] != "private_key" and _CONTROL.search(environ[var]):
            # Never echoed: the value is the secret. A line break in a header value
            # would also end in httpx printing it ("Illegal header value b'...'").
            problems.append(
                f"{field}: environment variable {var} holds a line break or another "
                "control character (a copy-paste slip?); secrets must be one line"
            )
            return None
        return environ[var]
    if len(loc) > 1 and loc[0] == "sources" and loc[1] in demo_sources:
        return _EPHEMERAL.setdefault(var, secrets.token_urlsafe(24))
    problems.append(f"{field}: environment variable {var} is not set")
    return None


def _union_tags() -> set[str]:
    """Every ``type`` tag of the discriminated unions (pagination, auth, warehouse)."""
    models = [*get_args(get_args(Pagination)[0]), *get_args(get_args(Auth)[0])]
    return {model_tag(m) for m in models} | set(WAREHOUSE_MODELS)


def _describe(err: Any, origins: Mapping[str, str] | None = None) -> str:
    loc = [str(p) for p in err["loc"]]
    # Discriminated unions add the chosen tag to the path; it names no field.
    tags = _union_tags()
    loc = [p for p in loc if p not in tags or (p == loc[-1] and err["type"] == "missing")]
    field = ".".join(loc) or "(top level)"
    origin = (origins or {}).get(field)
    if origin:
        field = f"{field} (set by {origin})"
    message = str(err["msg"])
    if err["type"] == "missing":
        message = "required field is missing"
    elif err["type"] == "extra_forbidden":
        message = "unknown field"
    elif err["type"] == "value_error":
        message = message.removeprefix("Value error, ")  # our validators' own words
    elif (
        "input" in err
        and not _SECRET_FIELDS & set(loc)
        and not isinstance(err["input"], dict | list)
    ):
        message += f" (got {err['input']!r})"
    return f"{field}: {message}"
