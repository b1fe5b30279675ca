"""The set-up scripts on an empty account, as the admin connection (issue 13).

Defect 3: `snowflake apply` connected as `warehouse.user`, the loader, which does not
exist on an empty account and must never hold ACCOUNTADMIN. Defect 4:
roles_and_grants.sql granted a role to the loader user before anything created it,
and the documented USERADMIN step lacked MANAGE GRANTS.

`EmptyAccount` is a scripted cursor that keeps Snowflake's bookkeeping for the
statements these scripts use: the current role (`use role`), which roles may create
users and roles (USERADMIN, SECURITYADMIN, ACCOUNTADMIN), which may grant privileges
on objects they do not own (MANAGE GRANTS: SECURITYADMIN, ACCOUNTADMIN), and that a
grant to a user or role needs it to exist. Both fail on c4caac5's scripts and pass now.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from snowflake_fixtures import ScriptedConn, ScriptedCursor, snowflake_config

from glueflake.config import ConfigError, load_config
from glueflake.deploy.snowflake import SCRIPTS, admin_warehouse, apply, render
from glueflake.load.snowflake.sql import SnowflakeConfigError

CREATES_USERS = {"USERADMIN", "SECURITYADMIN", "ACCOUNTADMIN"}
MANAGE_GRANTS = {"SECURITYADMIN", "ACCOUNTADMIN"}
SYSTEM_ROLES = {"ACCOUNTADMIN", "SECURITYADMIN", "USERADMIN", "SYSADMIN", "PUBLIC"}


class EmptyAccount(ScriptedCursor):
    """A new account: system roles only, no users but the admin; enforces who may do what."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role.upper()
        self.roles = set(SYSTEM_ROLES)
        self.users: dict[str, dict[str, str]] = {}
        self.objects: dict[str, str] = {}  # created object -> owning role

    def answer(self, sql: str) -> None:
        self.description, self.rows = [], []
        text = " ".join(line.split("--")[0] for line in sql.splitlines()).strip().rstrip(";")
        words = text.split()
        low = text.lower()
        if low.startswith("use role "):
            self.role = words[2].upper()
        elif low.startswith("create role if not exists "):
            self._need(CREATES_USERS, text)
            self.roles.add(words[5].upper())
        elif low.startswith("create user if not exists "):
            self._need(CREATES_USERS, text)
            name = words[5].upper()
            props = dict(re.findall(r"(\w+) = (\S+)", text.lower()))
            self.users.setdefault(name, props)
        elif low.startswith("alter user "):
            self._need(CREATES_USERS, text)
            if words[2].upper() not in self.users:
                raise RuntimeError(f"User '{words[2]}' does not exist")
        elif low.startswith("grant role "):
            role, grantee_kind, grantee = words[2].upper(), words[4].lower(), words[5].upper()
            if role not in self.roles:
                raise RuntimeError(f"Role '{role}' does not exist")
            if grantee_kind == "user" and grantee not in self.users:
                raise RuntimeError(f"User '{grantee}' does not exist or not authorized")
            self._need(CREATES_USERS, text)
        elif low.startswith("grant "):
            grantee = words[-1].upper()
            if grantee not in self.roles:
                raise RuntimeError(f"Role '{grantee}' does not exist")
            self._need(MANAGE_GRANTS, text)
        elif low.startswith(("create ", "desc ", "show ")):
            if low.startswith("create storage integration"):
                self._need({"ACCOUNTADMIN"}, text)
        else:
            raise AssertionError(f"unscripted statement: {text}")

    def _need(self, roles: set[str], text: str) -> None:
        if self.role not in roles:
            raise RuntimeError(f"Insufficient privileges as {self.role}: {text[:60]}")


class _Conn(ScriptedConn):
    """A connection `apply` opened itself, so it closes it."""

    def close(self) -> None:
        self.closed = True


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    paths = []
    for name in ("loader", "dbt"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path = tmp_path / f"{name}.pub"
        path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        paths.append(path)
    return paths[0], paths[1]


def _config(tmp_path: Path, **setup: Any) -> Any:
    loader_pub, dbt_pub = _keys(tmp_path)
    return snowflake_config(
        tmp_path,
        extra={
            "setup.user": "JANE_ADMIN",
            "setup.password": "${GLUEFLAKE_TEST_SNOWFLAKE_PASSWORD}",
            "setup.loader_public_key_path": str(loader_pub),
            "setup.dbt_public_key_path": str(dbt_pub),
            **{f"setup.{k}": v for k, v in setup.items()},
        },
    )


def test_the_scripts_run_top_to_bottom_on_an_empty_account(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    render(cfg, tmp_path / "snowflake")
    account = EmptyAccount(role="ACCOUNTADMIN")
    scripts = [s for s in SCRIPTS if s != "snowpipe_trigger.sql"]
    outcomes = apply(cfg, tmp_path / "snowflake", scripts=scripts, connection=ScriptedConn(account))
    assert all(o.ok for o in outcomes)
    assert {"GLUEFLAKE_LOADER_USER", "GLUEFLAKE_DBT_USER"} <= set(account.users)
    for user in ("GLUEFLAKE_LOADER_USER", "GLUEFLAKE_DBT_USER"):
        assert account.users[user]["type"] == "service"
    text = (tmp_path / "snowflake" / "roles_and_grants.sql").read_text()
    assert re.search(r"alter user GLUEFLAKE_LOADER_USER set rsa_public_key = 'MII", text)
    assert "password" not in text.lower().replace("no password", "")
    assert (
        text.index("use role useradmin")
        < text.index("create user")
        < text.index("use role securityadmin")
    )


def test_old_script_fails_on_an_empty_account(tmp_path: Path) -> None:
    """The c4caac5 script, kept here: it grants to the loader user nobody created."""
    old = (
        "use role securityadmin;\n"
        "create role if not exists GLUEFLAKE_LOADER;\n"
        "grant role GLUEFLAKE_LOADER to user GLUEFLAKE_LOADER_USER;\n"
    )
    (tmp_path / "roles_and_grants.sql").write_text(old)
    cfg = _config(tmp_path)
    with pytest.raises(Exception, match="GLUEFLAKE_LOADER_USER' does not exist"):
        apply(
            cfg,
            tmp_path,
            scripts=["roles_and_grants.sql"],
            connection=ScriptedConn(EmptyAccount("ACCOUNTADMIN")),
        )


def test_apply_connects_as_the_admin_never_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _config(tmp_path)
    render(cfg, tmp_path / "snowflake")
    seen: dict[str, Any] = {}

    def fake_connect(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return _Conn(EmptyAccount(kwargs["role"]))

    import snowflake.connector

    monkeypatch.setattr(snowflake.connector, "connect", fake_connect)
    apply(cfg, tmp_path / "snowflake", scripts=["setup_storage_integration.sql"])
    assert seen["user"] == "JANE_ADMIN" and seen["role"] == "ACCOUNTADMIN"
    assert seen["user"] != cfg.warehouse.user


def test_no_admin_user_or_the_loader_as_admin_is_refused(tmp_path: Path) -> None:
    cfg = snowflake_config(tmp_path)
    with pytest.raises(SnowflakeConfigError, match=r"setup\.user: the set-up scripts run as"):
        admin_warehouse(cfg)
    loader = _config(tmp_path, user="GLUEFLAKE_LOADER_USER")
    with pytest.raises(SnowflakeConfigError, match="is a service user"):
        admin_warehouse(loader)


@pytest.mark.parametrize("field", ["role", "dbt_role"])
def test_a_service_role_is_never_an_admin_role(tmp_path: Path, field: str) -> None:
    path = tmp_path / "p.yml"
    path.write_text(
        "version: 1\nlake: {url: 's3://acme-lake/x'}\n"
        f"warehouse: {{type: snowflake, account: a, user: LOADER, {field}: ACCOUNTADMIN}}\n"
        "sources: {s: {base_url: 'http://x.test', endpoints: {e: {path: /e, primary_key: id}}}}\n"
    )
    with pytest.raises(ConfigError, match=f"warehouse.{field}: 'ACCOUNTADMIN' is an admin"):
        load_config(path, environ={})


def test_cli_admin_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from glueflake.cli import app

    cfg_path = tmp_path / "pipeline.snowflake.yml"
    snowflake_config(tmp_path)  # writes cfg_path, no setup section
    render(load_config(cfg_path, resolve_secrets=False), tmp_path / "snowflake")
    seen: dict[str, Any] = {}

    def fake_connect(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return _Conn(EmptyAccount(kwargs["role"]))

    import snowflake.connector

    monkeypatch.setattr(snowflake.connector, "connect", fake_connect)
    args = ["snowflake", "apply", "-c", str(cfg_path), "--dir", str(tmp_path / "snowflake")]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "setup.user" in refused.output
    monkeypatch.setenv("GLUEFLAKE_TEST_SNOWFLAKE_PASSWORD", "x")
    done = CliRunner().invoke(
        app, [*args, "--script", "setup_storage_integration.sql", "--admin-user", "JANE_ADMIN"]
    )
    assert done.exit_code == 1  # the admin has no credential of its own: named, not the loader's
    assert "setup.private_key_path, setup.private_key or setup.password" in done.output
