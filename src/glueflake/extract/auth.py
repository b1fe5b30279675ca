"""Authenticators: one small `httpx.Auth` per config auth kind.

Secrets stay inside these objects (as `SecretStr` until the moment a request is
signed); nothing here formats them into text.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
from pydantic import SecretStr

from glueflake.config import ApiKeyAuth, Auth, BasicAuth, BearerAuth, NoAuth
from glueflake.redact import basic_forms, secret_forms


class HeaderAuth(httpx.Auth):
    """Puts a secret into one request header (optionally with a scheme prefix)."""

    def __init__(self, name: str, secret: SecretStr, prefix: str = "") -> None:
        """Sign requests with ``name: <prefix><secret>``."""
        self.name = name
        self._secret = secret
        self._prefix = prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers[self.name] = self._prefix + self._secret.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, secret=**********)"


class QueryParamAuth(httpx.Auth):
    """Puts a secret into one query parameter (error messages redact that parameter)."""

    def __init__(self, name: str, secret: SecretStr) -> None:
        """Sign requests with ``?name=<secret>``."""
        self.name = name
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the parameter and send."""
        request.url = request.url.copy_set_param(self.name, self._secret.get_secret_value())
        yield request

    def __repr__(self) -> str:
        return f"QueryParamAuth(name={self.name!r}, secret=**********)"


class BearerTokenAuth(HeaderAuth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: SecretStr) -> None:
        """Sign requests with the bearer token."""
        super().__init__("Authorization", token, prefix="Bearer ")


class BasicCredentialsAuth(httpx.Auth):
    """HTTP basic authentication (RFC 7617, UTF-8 credentials)."""

    def __init__(self, username: str, password: SecretStr) -> None:
        """Sign requests with ``Authorization: Basic base64(user:password)``."""
        self.username = username
        self._password = password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the Authorization header and send."""
        raw = f"{self.username}:{self._password.get_secret_value()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        yield request

    def __repr__(self) -> str:
        return f"BasicCredentialsAuth(username={self.username!r}, password=**********)"


def build_auth(auth: Auth) -> httpx.Auth | None:
    """The authenticator for a source's auth config (None for no auth)."""
    if isinstance(auth, NoAuth):
        return None
    if isinstance(auth, ApiKeyAuth):
        if auth.location == "query":
            return QueryParamAuth(auth.name, auth.key)
        return HeaderAuth(auth.name, auth.key)
    if isinstance(auth, BearerAuth):
        return BearerTokenAuth(auth.token)
    if isinstance(auth, BasicAuth):
        return BasicCredentialsAuth(auth.username, auth.password)
    raise TypeError(f"unsupported auth kind {type(auth).__name__}")  # pragma: no cover


def secret_values(auth: Auth) -> list[str]:
    """The secret strings of an auth config, to scrub from any message."""
    values: list[SecretStr] = []
    if isinstance(auth, ApiKeyAuth):
        values.append(auth.key)
    elif isinstance(auth, BearerAuth):
        values.append(auth.token)
    elif isinstance(auth, BasicAuth):
        values.append(auth.password)
    return [v.get_secret_value() for v in values if v.get_secret_value()]


def secret_forms_of(auth: Auth) -> set[str]:
    """Every spelling of the auth config's secrets a message could carry (see `redact`)."""
    if isinstance(auth, BasicAuth):
        return basic_forms(auth.username, auth.password.get_secret_value())
    forms: set[str] = set()
    for value in secret_values(auth):
        forms |= secret_forms(value)
    return forms


def secret_headers(auth: Auth) -> frozenset[str]:
    """Request header names that carry a secret (sent to the source's own host only)."""
    if isinstance(auth, ApiKeyAuth) and auth.location == "header":
        return frozenset({auth.name})
    if isinstance(auth, BearerAuth | BasicAuth):
        return frozenset({"Authorization"})
    return frozenset()


def query_secret_params(auth: Auth) -> frozenset[str]:
    """Query parameter names that carry a secret (redacted in URLs shown to people)."""
    if isinstance(auth, ApiKeyAuth) and auth.location == "query":
        return frozenset({auth.name})
    return frozenset()
