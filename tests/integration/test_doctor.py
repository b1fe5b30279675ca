"""`glueflake doctor` against moto (S3, Secrets Manager) and scripted Snowflake cursors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from snowflake_fixtures import ScriptedCursor

from glueflake.config import SnowflakeWarehouse
from glueflake.deploy.doctor import run_doctor

pytestmark = [pytest.mark.integration, pytest.mark.s3]

BUCKET = "glueflake-doctor"
ROLE_ARN = "arn:aws:iam::123456789012:role/glueflake-snowflake-lake-read"
SECRET = {
    "GLUEFLAKE_SHOP_API_KEY": "k",
    "SNOWFLAKE_PASSWORD_LOADER": "p",
    "SNOWFLAKE_PRIVATE_KEY": "dbt-key-pem",
}
TABLES = ("SHOP__ORDERS",)


class Account(ScriptedCursor):
    """One Snowflake account's answers, as seen by `user` in `role`."""

    def __init__(self, user: str, role: str, *, broken: bool = False) -> None:
        super().__init__()
        self.user, self.role, self.broken = user, role, broken

    def answer(self, sql: str) -> None:
        low = sql.lower()
        self.description, self.rows = [("c",)], []
        if low.startswith("select current_user()"):
            self.rows = [(self.user, self.role, "GLUEFLAKE_WH")]
        elif low.startswith("desc integration"):
            self.description = [("property",), ("property_type",), ("property_value",)]
            self.rows = [("STORAGE_AWS_ROLE_ARN", "String", ROLE_ARN)]
        elif low.startswith("list @"):
            if self.broken:
                raise RuntimeError("Failure using stage area. Cause: [Access Denied (403)]")
            self.rows = [("s3://b/glueflake/raw/x.ndjson.gz", 10, "md5", "date")]
        elif low.startswith("show pipes"):
            self.description = [("created_on",), ("name",), ("notification_channel",)]
            self.rows = [("t", "SHOP__ORDERS_PIPE", "arn:aws:sqs:us-east-1:1:sf")]
        elif low.startswith("select system$pipe_status"):
            state = "STOPPED_BY_SNOWFLAKE_ADMIN" if self.broken else "RUNNING"
            self.rows = [(json.dumps({"executionState": state}),)]
        elif low.startswith("show grants to role"):
            self.description = [("created_on",), ("privilege",), ("granted_on",), ("name",)]
            grants = [
                ("t", "USAGE", "STAGE", "GLUEFLAKE.LANDING.GLUEFLAKE_LAKE"),
                ("t", "CREATE SCHEMA", "DATABASE", "GLUEFLAKE"),
                ("t", "USAGE", "SCHEMA", "GLUEFLAKE.LANDING"),
            ]
            if not self.broken:
                grants += [("t", "INSERT", "TABLE", f"GLUEFLAKE.LANDING.{t}") for t in TABLES]
            self.rows = grants
        else:
            raise AssertionError(f"unscripted: {sql}")


class Conn:
    def __init__(self, cursor: Account) -> None:
        self._cursor = cursor

    def cursor(self) -> Account:
        return self._cursor


def _config(tmp_path: Path, url: str, mode: str = "copy") -> Path:
    raw = {
        "version": 1,
        "lake": {"url": f"s3://{BUCKET}/glueflake", "endpoint_url": url, "region": "us-east-1"},
        "warehouse": {
            "type": "snowflake",
            "account": "acme",
            "user": "GLUEFLAKE_LOADER_USER",
            "password": "${SNOWFLAKE_PASSWORD_LOADER}",
            "aws_role_arn": ROLE_ARN,
            "mode": mode,
        },
        "setup": {"user": "JANE_ADMIN", "password": "${SNOWFLAKE_ADMIN_PASSWORD}"},
        "sources": {
            "shop": {
                "base_url": "https://shop.example.com",
                "auth": {"type": "api_key", "key": "${GLUEFLAKE_SHOP_API_KEY}"},
                "endpoints": {"orders": {"path": "/orders", "primary_key": "id"}},
            }
        },
    }
    path = tmp_path / "pipeline.prod.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _connect(broken: bool = False) -> Any:
    def connect(wh: SnowflakeWarehouse) -> Conn:
        return Conn(Account(wh.user, wh.role, broken=broken))

    return connect


def _setup_aws(url: str, *, bucket: bool = True) -> None:
    if bucket:
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    boto3.client("secretsmanager", endpoint_url=url).create_secret(
        Name="glueflake/pipeline", SecretString=json.dumps(SECRET)
    )


ENV = {"SNOWFLAKE_ADMIN_PASSWORD": "admin"}


def test_every_check_passes_on_a_ready_deployment(moto_server: str, tmp_path: Path) -> None:
    _setup_aws(moto_server)
    report = run_doctor(
        _config(tmp_path, moto_server),
        secrets_id="glueflake/pipeline",
        environ=ENV,
        endpoint_url=moto_server,
        connect=_connect(),
    )
    lines = str(report.__rich__()).splitlines()
    assert report.ok, lines
    names = [c.name for c in report.checks]
    assert names == [
        "config",
        "secrets",
        "lake",
        "snowflake loader",
        "snowflake dbt",
        "integration",
        "stage",
        "loader grants",
        "dbt grants",
    ]
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert "conditional put refused an overwrite" in lines[2]
    assert "connected as GLUEFLAKE_DBT_USER, role GLUEFLAKE_TRANSFORMER" in lines[4]
    assert "dbt-key-pem" not in "\n".join(lines) and "admin" not in lines[0]


def test_failures_name_the_fix(moto_server: str, tmp_path: Path) -> None:
    _setup_aws(moto_server, bucket=False)
    report = run_doctor(
        _config(tmp_path, moto_server),
        secrets_id="glueflake/pipeline",
        environ=ENV,
        endpoint_url=moto_server,
        connect=_connect(broken=True),
    )
    assert not report.ok
    failed = {c.name: c for c in report.checks if not c.ok}
    assert set(failed) == {"lake", "stage", "loader grants"}
    assert "NoSuchBucket" in failed["lake"].detail or "bucket" in failed["lake"].detail.lower()
    assert "--snowflake-iam-user-arn" in failed["stage"].fix
    assert "INSERT TABLE GLUEFLAKE.LANDING.SHOP__ORDERS" in failed["loader grants"].detail
    assert failed["loader grants"].line().startswith("FAIL loader grants: ")


def test_an_unresolved_secret_stops_at_the_config(moto_server: str, tmp_path: Path) -> None:
    report = run_doctor(
        _config(tmp_path, moto_server), environ={}, endpoint_url=moto_server, connect=_connect()
    )
    assert [c.name for c in report.checks] == ["config"]
    assert "SNOWFLAKE_PASSWORD_LOADER" in report.checks[0].detail
    assert "secrets-id" in report.checks[0].fix


def test_cli_exits_non_zero_on_a_failed_check(moto_server: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from glueflake.cli import app

    result = CliRunner().invoke(
        app, ["doctor", "-c", str(_config(tmp_path, moto_server)), "--endpoint-url", moto_server]
    )
    assert result.exit_code == 1
    assert result.output.startswith("FAIL config: ")


@pytest.mark.parametrize("broken", [False, True])
def test_snowpipe_mode_checks_each_pipe_is_running(
    moto_server: str, tmp_path: Path, broken: bool
) -> None:
    _setup_aws(moto_server)
    report = run_doctor(
        _config(tmp_path, moto_server, mode="snowpipe"),
        secrets_id="glueflake/pipeline",
        environ=ENV,
        endpoint_url=moto_server,
        connect=_connect(broken=broken),
    )
    pipe = next(c for c in report.checks if c.name == "pipe GLUEFLAKE.LANDING.SHOP__ORDERS_PIPE")
    assert pipe.ok is not broken
    if broken:
        assert "STOPPED_BY_SNOWFLAKE_ADMIN" in pipe.detail
        assert "pipe_execution_paused = false" in pipe.fix
