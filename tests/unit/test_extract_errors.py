"""HTTP failures that are not transport errors still end as an ExtractError naming the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from glueflake.config import PipelineConfig
from glueflake.errors import ExtractError
from glueflake.extract import run_extract
from glueflake.lake import LocalStore

SECRET = "qu3ry-s3cret"


def _redirect_loop(request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"Location": "/items?again=1"})


def _bad_gzip(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"not gzip")


@pytest.mark.parametrize(
    ("handler", "what"), [(_redirect_loop, "redirect"), (_bad_gzip, "decompress")]
)
def test_http_errors_name_the_endpoint_and_hide_the_key(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response], what: str
) -> None:
    config = PipelineConfig.model_validate(
        {
            "sources": {
                "shop": {
                    "base_url": "http://api.test",
                    "auth": {"type": "api_key", "key": SECRET, "name": "key", "location": "query"},
                    "endpoints": {"items": {"path": "/items", "primary_key": "id"}},
                }
            }
        }
    )
    expected = rf"^shop\.items: GET http://api\.test/items.*{what}"
    with pytest.raises(ExtractError, match=expected) as e:
        run_extract(
            config,
            progress=False,
            store=LocalStore(tmp_path),
            transport=httpx.MockTransport(handler),
        )
    assert SECRET not in str(e.value)
