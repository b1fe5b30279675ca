"""Authenticators: each config auth kind signs the request, and none leaks its secret."""

from __future__ import annotations

import base64

import httpx
from pydantic import SecretStr

from glueflake.config import ApiKeyAuth, BasicAuth, BearerAuth, NoAuth
from glueflake.extract.auth import build_auth
from glueflake.extract.http import Redactor

SECRET = "k3y-v4lue"


def _sent(auth: httpx.Auth | None) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get("http://api.test/x?a=1")
    return seen[0]


def test_no_auth() -> None:
    assert build_auth(NoAuth()) is None
    request = _sent(None)
    assert "authorization" not in request.headers


def test_api_key_in_header() -> None:
    auth = build_auth(ApiKeyAuth(type="api_key", key=SecretStr(SECRET), name="X-API-Key"))
    request = _sent(auth)
    assert request.headers["X-API-Key"] == SECRET
    assert SECRET not in str(request.url)
    assert SECRET not in repr(auth)


def test_api_key_in_query() -> None:
    cfg = ApiKeyAuth(type="api_key", key=SecretStr(SECRET), name="api_key", location="query")
    request = _sent(build_auth(cfg))
    assert request.url.params["api_key"] == SECRET
    assert request.url.params["a"] == "1"
    assert "x-api-key" not in request.headers


def test_bearer() -> None:
    request = _sent(build_auth(BearerAuth(type="bearer", token=SecretStr(SECRET))))
    assert request.headers["Authorization"] == f"Bearer {SECRET}"


def test_basic() -> None:
    auth = build_auth(BasicAuth(type="basic", username="ada", password=SecretStr(SECRET)))
    request = _sent(auth)
    expected = base64.b64encode(f"ada:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert SECRET not in repr(auth)


def test_redactor_hides_query_keys_and_values() -> None:
    redactor = Redactor(query_params={"api_key"}, values=[SECRET])
    url = httpx.URL(f"http://api.test/x?page=2&api_key={SECRET}")
    shown = redactor.url(url)
    assert SECRET not in shown
    assert "api_key=REDACTED" in shown
    assert "page=2" in shown
    assert redactor.text(f"error near {SECRET}!") == "error near REDACTED!"


def test_every_auth_kind_of_the_config_has_its_authenticator() -> None:
    from typing import get_args

    from glueflake.config import Auth, model_tag
    from glueflake.extract.auth import AUTHENTICATORS

    assert {model_tag(m) for m in get_args(get_args(Auth)[0])} == set(AUTHENTICATORS)


def test_each_authenticator_names_where_its_secret_goes() -> None:
    from glueflake.extract.auth import query_secret_params, secret_forms_of, secret_headers

    query = ApiKeyAuth(type="api_key", key=SecretStr(SECRET), name="k", location="query")
    header = ApiKeyAuth(type="api_key", key=SecretStr(SECRET), name="X-Key")
    basic = BasicAuth(type="basic", username="ada", password=SecretStr(SECRET))
    assert (secret_headers(query), query_secret_params(query)) == (frozenset(), {"k"})
    assert (secret_headers(header), query_secret_params(header)) == ({"X-Key"}, frozenset())
    assert secret_headers(BearerAuth(type="bearer", token=SecretStr(SECRET))) == {"Authorization"}
    assert secret_headers(basic) == {"Authorization"}
    assert base64.b64encode(f"ada:{SECRET}".encode()).decode() in secret_forms_of(basic)
    assert secret_forms_of(NoAuth()) == set() == secret_headers(NoAuth())
