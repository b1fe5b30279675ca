"""Credentials go only to the source's own host, never to where a response points."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from glueflake.config import PipelineConfig
from glueflake.extract import run_extract
from glueflake.lake import LocalStore

SECRET = "s3cret-k3y"
AUTHS: dict[str, tuple[dict[str, Any], str]] = {
    "api_key": ({"type": "api_key", "key": SECRET}, "X-API-Key"),
    "bearer": ({"type": "bearer", "token": SECRET}, "Authorization"),
}


def _config(auth: dict[str, Any], pagination: dict[str, Any]) -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "sources": {
                "shop": {
                    "base_url": "http://api.test",
                    "auth": auth,
                    "endpoints": {
                        "items": {
                            "path": "/items",
                            "records": "data",
                            "primary_key": "id",
                            "pagination": pagination,
                        }
                    },
                }
            }
        }
    )


class Api:
    """api.test sends the client elsewhere (a redirect or a Link); other.test records headers."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.seen: dict[str, list[httpx.Headers]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.setdefault(request.url.host, []).append(request.headers)
        if request.url.host == "other.test":
            return httpx.Response(200, json={"data": [{"id": 2}]})
        if self.how == "redirect":
            return httpx.Response(302, headers={"Location": "http://other.test/items"})
        link = '<http://other.test/items?page=2>; rel="next"'
        return httpx.Response(200, headers={"Link": link}, json={"data": [{"id": 1}]})


@pytest.mark.parametrize("kind", sorted(AUTHS))
@pytest.mark.parametrize("how", ["redirect", "link"])
def test_credentials_are_not_sent_to_another_host(tmp_path: Path, kind: str, how: str) -> None:
    auth, header = AUTHS[kind]
    pagination = {"type": "link_header", "size_param": None}
    api = Api(how)
    summary = run_extract(
        _config(auth, pagination),
        progress=False,
        store=LocalStore(tmp_path),
        transport=httpx.MockTransport(api),
    )
    assert summary.records == (1 if how == "redirect" else 2)
    assert all(SECRET in h.get(header, "") for h in api.seen["api.test"])
    for headers in api.seen["other.test"]:
        assert header not in headers, f"{kind} credentials sent to other.test after a {how}"
        assert all(SECRET not in value for value in headers.values())
