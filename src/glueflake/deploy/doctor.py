"""`glueflake doctor`: a preflight against the real accounts, one line per check.

Run by a deployer before the first scheduled run (docs/runbook.md, step 11). Each
check passes or fails with what to do about it; a check that cannot run because an
earlier one failed says so. The checks, in order:

1. the config resolves, every ``${ENV_VAR}`` secret included (from the environment,
   or from the Secrets Manager secret the jobs read, with ``--secrets-id``);
2. that secret holds every variable the config and dbt's ``prod`` target need;
3. the S3 lake is readable and writable with conditional puts (a probe object under
   ``_doctor/`` is written once, refused a second time, read back and listed);
4. Snowflake answers as the loader (user, role, warehouse) and as dbt;
5. ``DESC INTEGRATION`` (as the admin of the ``setup`` section) shows the IAM role ARN;
6. the stage lists the lake prefix as the loader (the integration's trust works);
7. mode snowpipe: every entity's pipe exists and ``SYSTEM$PIPE_STATUS`` is RUNNING;
8. the grants are in place: the loader may use the stage and insert into each
   landing table; dbt may read the landing schema and create schemas.

Nothing here prints a secret: values are only handed to the clients.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glueflake.config import (
    ConfigError,
    PipelineConfig,
    SnowflakeWarehouse,
    load_config,
)

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: What dbt's prod target needs besides the config's own variables: a key or password.
DBT_CREDENTIALS = ("SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_PRIVATE_KEY_PATH", "SNOWFLAKE_PASSWORD")

Connector = Callable[[SnowflakeWarehouse], Any]


@dataclass(frozen=True)
class Check:
    """One check: its name, whether it passed, what was seen and, on failure, the fix."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``PASS name: detail`` or ``FAIL name: detail -> fix``."""
        head = f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.detail}"
        return head if self.ok or not self.fix else f"{head} -> fix: {self.fix}"


@dataclass
class DoctorReport:
    """Every check, in order."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, fix: str = "") -> bool:
        """Record a check; returns whether it passed."""
        self.checks.append(Check(name, ok, detail, fix))
        return ok

    def __rich__(self) -> str:
        lines = [c.line() for c in self.checks]
        failed = sum(not c.ok for c in self.checks)
        lines.append(f"{len(self.checks) - failed} passed, {failed} failed")
        return "\n".join(lines)


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _secret_values(secret_id: str, client: Any) -> dict[str, str]:
    text = client.get_secret_value(SecretId=secret_id)["SecretString"]
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError("not a JSON object of NAME: value")
    return {str(k): str(v) for k, v in values.items()}


def run_doctor(
    config_path: Path,
    *,
    secrets_id: str | None = None,
    environ: Mapping[str, str] | None = None,
    session: Any = None,
    endpoint_url: str | None = None,
    connect: Connector | None = None,
) -> DoctorReport:
    """Run every check against the accounts the config names.

    Args:
        config_path: the production pipeline config.
        secrets_id: the Secrets Manager secret the Glue jobs read; its values are
            used (in memory) the way the jobs use them.
        environ: the environment (default ``os.environ``; the secret's values
            are added to a copy).
        session: a boto3 Session (default: a new one for ``lake.region``).
        endpoint_url: send AWS calls here (tests).
        connect: opens a Snowflake connection for a warehouse section (default:
            snowflake-connector-python through `glueflake.load.snowflake.connection`).

    Returns:
        The report; `DoctorReport.ok` is True only when every check passed.
    """
    report = DoctorReport()
    env: MutableMapping[str, str] = dict(os.environ if environ is None else environ)
    raw_text = config_path.read_text(encoding="utf-8") if config_path.is_file() else ""
    session = session or _session(raw_text)
    if secrets_id:
        try:
            client = session.client("secretsmanager", endpoint_url=endpoint_url)
            values = _secret_values(secrets_id, client)
        except Exception as exc:
            report.add(
                "secrets",
                False,
                f"{secrets_id}: {_error(exc)}",
                "create it: aws secretsmanager create-secret --name "
                f"{secrets_id} --secret-string file://secret.json (docs/runbook.md step 4)",
            )
            values = {}
        env.update(values)
    try:
        config = load_config(config_path, environ=env)
    except ConfigError as exc:
        report.add(
            "config",
            False,
            str(exc).replace("\n", ";"),
            "set each variable named (export it, or add it to the --secrets-id secret)",
        )
        return report
    report.add("config", True, f"{config_path} resolves with every secret")
    if secrets_id and values:
        wanted = set(_ENV_REF.findall(raw_text)) - {"SNOWFLAKE_ADMIN_KEY_PASSPHRASE"}
        setup_vars = _setup_variables(raw_text)
        missing = sorted(v for v in wanted - setup_vars if v not in values)
        if not any(name in values for name in DBT_CREDENTIALS):
            missing.append("SNOWFLAKE_PRIVATE_KEY (dbt's key)")
        report.add(
            "secrets",
            not missing,
            f"{secrets_id} holds {len(values)} value(s)"
            + (f"; missing: {', '.join(missing)}" if missing else ""),
            "add the missing names to the secret's JSON object",
        )
    _check_lake(report, config, session, endpoint_url)
    if isinstance(config.warehouse, SnowflakeWarehouse):
        _check_snowflake(report, config, env, connect or _default_connect)
    return report


def _session(raw_text: str) -> Any:
    import boto3

    match = re.search(r"^\s*region:\s*([a-z0-9-]+)", raw_text, re.MULTILINE)
    return boto3.session.Session(region_name=match.group(1) if match else None)


def _setup_variables(raw_text: str) -> set[str]:
    """Variables of the ``setup:`` section (the admin's, never in the jobs' secret)."""
    import yaml

    raw = yaml.safe_load(raw_text) or {}
    setup = raw.get("setup") if isinstance(raw, dict) else None
    return set(_ENV_REF.findall(json.dumps(setup))) if setup else set()


def _check_lake(
    report: DoctorReport, config: PipelineConfig, session: Any, url: str | None
) -> None:
    from glueflake.lake import ObjectExistsError
    from glueflake.lake.store import S3Store

    if not config.lake.is_s3:
        report.add(
            "lake", False, f"{config.lake.url} is not on S3", "set lake.url: s3://bucket/prefix"
        )
        return
    key = f"_doctor/{uuid.uuid4().hex}.txt"
    body = b"glueflake doctor probe\n"
    try:
        client = session.client("s3", endpoint_url=url or config.lake.endpoint_url)
        store = S3Store(config.lake.url, client=client)
        store.put(key, body)
        try:
            store.put(key, body)
            conditional = False
        except ObjectExistsError:
            conditional = True
        readable = store.get(key) == body
        listed = any(info.key == key for info in store.list("_doctor/"))
    except Exception as exc:
        report.add(
            "lake",
            False,
            f"{config.lake.url}: {_error(exc)}",
            "check the bucket exists (deploy-aws) and your credentials may read and write "
            "the lake prefix",
        )
        return
    report.add(
        "lake",
        readable and listed and conditional,
        f"{config.lake.url}: write, read, list"
        + (", conditional put refused an overwrite" if conditional else "")
        + ("" if conditional else "; a second put of the same key was NOT refused"),
        "the store must honour If-None-Match: * (S3 does since 2024-08); lake files rely on it",
    )
    import contextlib

    with contextlib.suppress(Exception):  # the jobs' role may not delete: leave the probe
        client.delete_object(Bucket=store.bucket, Key=store.prefix + key)


def _default_connect(warehouse: SnowflakeWarehouse) -> Any:
    from glueflake.load.snowflake.connection import connect

    return connect(warehouse)


def _dbt_warehouse(wh: SnowflakeWarehouse, env: Mapping[str, str]) -> SnowflakeWarehouse:
    """The connection dbt's prod target makes: dbt user and role, key from its variables."""
    from pydantic import SecretStr

    def secret(name: str) -> SecretStr | None:
        return SecretStr(env[name]) if env.get(name) else None

    return wh.model_copy(
        update={
            "user": env.get("SNOWFLAKE_USER") or wh.dbt_user,
            "role": env.get("SNOWFLAKE_ROLE") or wh.dbt_role,
            "private_key": secret("SNOWFLAKE_PRIVATE_KEY"),
            "private_key_path": env.get("SNOWFLAKE_PRIVATE_KEY_PATH") or None,
            "private_key_passphrase": secret("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
            "password": secret("SNOWFLAKE_PASSWORD"),
        }
    )


def _rows(cursor: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor.execute(sql)
    columns = [str(d[0]).lower() for d in cursor.description or []]
    return columns, list(cursor.fetchall() if cursor.description else [])


def _check_snowflake(
    report: DoctorReport, config: PipelineConfig, env: Mapping[str, str], connect: Connector
) -> None:
    from glueflake.deploy.snowflake import admin_warehouse
    from glueflake.load.snowflake.sql import snowflake_objects, warehouse_config

    wh = warehouse_config(config)
    objects = snowflake_objects(config)
    loader = _connect_check(report, "snowflake loader", wh, connect, wh.user, wh.role)
    dbt_wh = _dbt_warehouse(wh, env)
    dbt = _connect_check(report, "snowflake dbt", dbt_wh, connect, dbt_wh.user, dbt_wh.role)

    if config.setup is not None and config.setup.user:
        try:
            admin = connect(admin_warehouse(config))
            _, rows = _rows(admin.cursor(), f"desc integration {objects.integration}")
            props = {str(r[0]).upper(): str(r[2]) for r in rows if len(r) > 2}
            arn = props.get("STORAGE_AWS_ROLE_ARN", "")
            report.add(
                "integration",
                arn == wh.aws_role_arn,
                f"{objects.integration} STORAGE_AWS_ROLE_ARN = {arn or '(none)'}",
                f"it must be warehouse.aws_role_arn ({wh.aws_role_arn}): re-render and apply "
                "setup_storage_integration.sql",
            )
        except Exception as exc:
            report.add(
                "integration",
                False,
                f"desc integration {objects.integration}: {_error(exc)}",
                "apply setup_storage_integration.sql as the admin (runbook step 6)",
            )
    else:
        report.add(
            "integration", True, "not checked: DESC INTEGRATION needs the admin (setup.user)"
        )

    if loader is None:
        report.add("stage", False, "not checked: the loader could not connect")
    else:
        cur = loader.cursor()
        try:
            _, rows = _rows(cur, f"list @{objects.stage}/raw/")
            report.add("stage", True, f"@{objects.stage}/raw/ lists {len(rows)} file(s)")
        except Exception as exc:
            report.add(
                "stage",
                False,
                f"list @{objects.stage}/raw/: {_error(exc)}",
                "the IAM role's trust policy must name DESC INTEGRATION's IAM user and "
                "external id (deploy-aws --snowflake-iam-user-arn ... --snowflake-external-id)",
            )
        if wh.mode == "snowpipe":
            _check_pipes(report, cur, objects)
        _check_grants(report, cur, "loader grants", wh.role, _loader_needs(objects))
    if dbt is not None:
        needs = {
            ("CREATE SCHEMA", "DATABASE", str(objects.database)),
            ("USAGE", "SCHEMA", f"{objects.database}.{objects.schema}"),
        }
        _check_grants(report, dbt.cursor(), "dbt grants", dbt_wh.role, needs)


def _connect_check(
    report: DoctorReport,
    name: str,
    wh: SnowflakeWarehouse,
    connect: Connector,
    user: str,
    role: str,
) -> Any:
    try:
        conn = connect(wh)
        _, rows = _rows(conn.cursor(), "select current_user(), current_role(), current_warehouse()")
    except Exception as exc:
        report.add(
            name,
            False,
            f"{user} as {role}: {_error(exc)}",
            "run roles_and_grants.sql as the admin and check the user's key (runbook step 9)",
        )
        return None
    seen = rows[0] if rows else ("?", "?", "?")
    ok = str(seen[1]).upper() == role.upper()
    report.add(
        name,
        ok,
        f"connected as {seen[0]}, role {seen[1]}, warehouse {seen[2]}",
        f"the session should run as role {role}: grant it to the user and make it the default",
    )
    return conn


def _check_pipes(report: DoctorReport, cursor: Any, objects: Any) -> None:
    try:
        columns, rows = _rows(cursor, f"show pipes in schema {objects.database}.{objects.schema}")
        names = {str(r[columns.index("name")]).upper() for r in rows}
    except Exception as exc:
        report.add("pipes", False, _error(exc), "apply snowpipe_trigger.sql (runbook step 10)")
        return
    for e in objects.entities:
        pipe = str(e.pipe.parts[-1]).upper()
        if pipe not in names:
            report.add(f"pipe {e.pipe}", False, "missing", "apply snowpipe_trigger.sql")
            continue
        try:
            _, status = _rows(cursor, f"select system$pipe_status('{e.pipe}')")
            state = str(json.loads(status[0][0]).get("executionState", "")) if status else ""
        except Exception as exc:
            state = _error(exc)
        report.add(
            f"pipe {e.pipe}",
            state.upper() == "RUNNING",
            f"executionState {state or '(none)'}",
            f"alter pipe {e.pipe} set pipe_execution_paused = false",
        )


def _loader_needs(objects: Any) -> set[tuple[str, str, str]]:
    needs = {("USAGE", "STAGE", str(objects.stage))}
    needs |= {("INSERT", "TABLE", str(e.table)) for e in objects.entities}
    return needs


def _check_grants(
    report: DoctorReport, cursor: Any, name: str, role: str, needs: set[tuple[str, str, str]]
) -> None:
    try:
        columns, rows = _rows(cursor, f"show grants to role {role}")
        idx = [columns.index(c) for c in ("privilege", "granted_on", "name")]
        have = {tuple(str(r[i]).upper() for i in idx) for r in rows}
    except Exception as exc:
        report.add(name, False, _error(exc), "apply roles_and_grants.sql as the admin")
        return
    missing = sorted(n for n in needs if tuple(x.upper() for x in n) not in have)
    report.add(
        name,
        not missing,
        f"role {role}: "
        + (
            "every grant in place"
            if not missing
            else "missing " + "; ".join(" ".join(m) for m in missing)
        ),
        "apply roles_and_grants.sql as the admin (runbook step 9)",
    )
