"""Connecting to Snowflake from the warehouse config: key pair or password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glueflake.config import SnowflakeWarehouse
from glueflake.load.snowflake.sql import SnowflakeConfigError


def connect(
    warehouse: SnowflakeWarehouse,
    *,
    role: str | None = None,
    schema: str | None = None,
    session_parameters: dict[str, Any] | None = None,
) -> Any:
    """Open a snowflake-connector-python connection from the warehouse config.

    Key-pair authentication is used when `private_key_path` is set (the passphrase
    from its ``${ENV}`` value); otherwise the password from its ``${ENV}`` value.

    Args:
        warehouse: the validated config section.
        role: role to assume instead of `warehouse.role` ("" = the user's default role).
        schema: default schema (None = the landing schema).
        session_parameters: extra session parameters.

    Raises:
        SnowflakeConfigError: no credential is configured, or the key file is unusable.
    """
    import snowflake.connector

    kwargs: dict[str, Any] = {
        "account": warehouse.account,
        "user": warehouse.user,
        "warehouse": warehouse.warehouse,
        "database": warehouse.database,
        "schema": schema or warehouse.landing_schema,
        "application": "glueflake",
        "session_parameters": {"QUERY_TAG": "glueflake", **(session_parameters or {})},
    }
    chosen_role = warehouse.role if role is None else role
    if chosen_role:
        kwargs["role"] = chosen_role
    if warehouse.private_key_path:
        kwargs["private_key"] = _private_key_der(warehouse)
    elif warehouse.password is not None:
        kwargs["password"] = warehouse.password.get_secret_value()
    else:
        raise SnowflakeConfigError(
            "warehouse.private_key_path or warehouse.password: one is required "
            "(password written as ${ENV_VAR})"
        )
    return snowflake.connector.connect(**kwargs)


def _private_key_der(warehouse: SnowflakeWarehouse) -> bytes:
    from cryptography.hazmat.primitives import serialization

    assert warehouse.private_key_path is not None
    path = Path(warehouse.private_key_path).expanduser()
    passphrase = (
        warehouse.private_key_passphrase.get_secret_value().encode()
        if warehouse.private_key_passphrase is not None
        else None
    )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except FileNotFoundError:
        raise SnowflakeConfigError(
            f"warehouse.private_key_path: no such file {str(path)!r}"
        ) from None
    except (ValueError, TypeError) as exc:
        # The message never includes key material or the passphrase.
        raise SnowflakeConfigError(
            f"warehouse.private_key_path: cannot read the key ({type(exc).__name__}; "
            "check the file and warehouse.private_key_passphrase)"
        ) from None
    return key.private_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
