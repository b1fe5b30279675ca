"""Authenticators: one small `httpx.Auth` per config auth kind.

Secrets stay inside these objects (as `SecretStr` until the moment a request is
signed); nothing here formats them into text.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator
from typing import Any

import httpx
from pydantic import SecretStr

from glueflake.config import ApiKeyAuth, Auth, BasicAuth, BearerAuth, NoAuth, model_tag
from glueflake.redact import basic_forms, secret_forms


class SecretAuth(httpx.Auth):
    """An authenticator that says where its secret goes, so no caller has to know.

    ``secret_headers`` are never sent to another origin; ``secret_params`` are
    redacted from URLs shown to people; `forms` is every spelling of the secret a
    message could carry (see `glueflake.redact`).
    """

    secret_headers: frozenset[str] = frozenset()
    secret_params: frozenset[str] = frozenset()

    def forms(self) -> set[str]:
        """Every spelling of the secret a message could carry."""
        raise NotImplementedError


class HeaderAuth(SecretAuth):
    """Puts a secret into one request header (optionally with a scheme prefix)."""

    def __init__(self, name: str, secret: SecretStr, prefix: str = "") -> None:
        """Sign requests with ``name: <prefix><secret>``."""
        self.name = name
        self._secret = secret
        self._prefix = prefix
        self.secret_headers = frozenset({name})

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the header and send."""
        request.headers[self.name] = self._prefix + self._secret.get_secret_value()
        yield request

    def forms(self) -> set[str]:
        """The secret's spellings."""
        return secret_forms(self._secret.get_secret_value())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, secret=**********)"


class QueryParamAuth(SecretAuth):
    """Puts a secret into one query parameter (error messages redact that parameter)."""

    def __init__(self, name: str, secret: SecretStr) -> None:
        """Sign requests with ``?name=<secret>``."""
        self.name = name
        self._secret = secret
        self.secret_params = frozenset({name})

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the parameter and send."""
        request.url = request.url.copy_set_param(self.name, self._secret.get_secret_value())
        yield request

    def forms(self) -> set[str]:
        """The secret's spellings."""
        return secret_forms(self._secret.get_secret_value())

    def __repr__(self) -> str:
        return f"QueryParamAuth(name={self.name!r}, secret=**********)"


class BearerTokenAuth(HeaderAuth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: SecretStr) -> None:
        """Sign requests with the bearer token."""
        super().__init__("Authorization", token, prefix="Bearer ")


class BasicCredentialsAuth(SecretAuth):
    """HTTP basic authentication (RFC 7617, UTF-8 credentials)."""

    secret_headers = frozenset({"Authorization"})

    def __init__(self, username: str, password: SecretStr) -> None:
        """Sign requests with ``Authorization: Basic base64(user:password)``."""
        self.username = username
        self._password = password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the Authorization header and send."""
        raw = f"{self.username}:{self._password.get_secret_value()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        yield request

    def forms(self) -> set[str]:
        """The password's spellings, and the base64 of ``user:password`` as sent."""
        return basic_forms(self.username, self._password.get_secret_value())

    def __repr__(self) -> str:
        return f"BasicCredentialsAuth(username={self.username!r}, password=**********)"


def _api_key(auth: ApiKeyAuth) -> SecretAuth:
    if auth.location == "query":
        return QueryParamAuth(auth.name, auth.key)
    return HeaderAuth(auth.name, auth.key)


#: The authenticator of each auth ``type``, built from its config (None: no auth).
AUTHENTICATORS: dict[str, Callable[[Any], SecretAuth | None]] = {
    model_tag(NoAuth): lambda _: None,
    model_tag(ApiKeyAuth): _api_key,
    model_tag(BearerAuth): lambda auth: BearerTokenAuth(auth.token),
    model_tag(BasicAuth): lambda auth: BasicCredentialsAuth(auth.username, auth.password),
}


def build_auth(auth: Auth) -> SecretAuth | None:
    """The authenticator for a source's auth config (None for no auth)."""
    return AUTHENTICATORS[auth.type](auth)


def secret_forms_of(auth: Auth) -> set[str]:
    """Every spelling of the auth config's secrets a message could carry (see `redact`)."""
    signer = build_auth(auth)
    return signer.forms() if signer is not None else set()


def secret_headers(auth: Auth) -> frozenset[str]:
    """Request header names that carry a secret (sent to the source's own origin only)."""
    signer = build_auth(auth)
    return signer.secret_headers if signer is not None else frozenset()


def query_secret_params(auth: Auth) -> frozenset[str]:
    """Query parameter names that carry a secret (redacted in URLs shown to people)."""
    signer = build_auth(auth)
    return signer.secret_params if signer is not None else frozenset()
