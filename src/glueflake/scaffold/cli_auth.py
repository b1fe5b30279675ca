"""The auth block add-source writes, from its command-line options."""

from __future__ import annotations

from typing import Any

from glueflake.scaffold.probe import ScaffoldError


def auth_block(
    bearer: str | None,
    api_key: str | None,
    api_key_name: str = "X-API-Key",
    api_key_in: str = "header",
    basic_user: str | None = None,
    basic_password: str | None = None,
) -> dict[str, Any] | None:
    """The config's auth block for at most one of bearer, API key and basic auth.

    Raises:
        ScaffoldError: more than one kind given, or basic auth without both parts.
    """
    given = [bool(bearer), bool(api_key), bool(basic_user or basic_password)]
    if sum(given) > 1:
        raise ScaffoldError("give one of --bearer, --api-key, --basic-user/--basic-password")
    if bearer:
        return {"type": "bearer", "token": bearer}
    if api_key:
        if api_key_in not in ("header", "query"):
            raise ScaffoldError(f"--api-key-in: header or query (got {api_key_in!r})")
        return {"type": "api_key", "key": api_key, "name": api_key_name, "location": api_key_in}
    if basic_user or basic_password:
        if not (basic_user and basic_password):
            raise ScaffoldError("basic auth needs both --basic-user and --basic-password")
        return {"type": "basic", "username": basic_user, "password": basic_password}
    return None
