"""Shared fixtures: a temporary lake, the demo API on loopback, an S3 server on loopback."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from glueflake.lake import LocalStore

DEMO_API_KEY = "test-demo-key"


@pytest.fixture
def tmp_lake(tmp_path: Path) -> LocalStore:
    """An empty local lake in a temporary directory."""
    return LocalStore(tmp_path / "lake")


@pytest.fixture
def demo_server() -> Iterator[Any]:
    """A small demo API (scale 2,000, day 300) on 127.0.0.1; yields the running server.

    Its settings are at ``server.settings``; its key is DEMO_API_KEY.
    """
    demo_api = pytest.importorskip("glueflake.demo_api")
    if not hasattr(demo_api, "DemoServer"):
        pytest.skip("glueflake.demo_api has no DemoServer yet")
    settings = demo_api.DemoSettings(seed=7, scale=2_000, day=300, api_key=DEMO_API_KEY)
    with demo_api.DemoServer(settings, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty moto S3 server on 127.0.0.1 (a free port), fake credentials; yields its URL."""
    server_mod = pytest.importorskip("moto.server")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto keeps its backends per process: start every test from an empty S3.
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        yield url
    finally:
        server.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the empty stage directory fakesnow makes in /tmp when it is imported.

    fakesnow creates it at import time and never removes it, so every test process
    that imported fakesnow would leave one behind.
    """
    stage = sys.modules.get("fakesnow.transforms.stage")
    bucket = getattr(stage, "LOCAL_BUCKET_PATH", None)
    if isinstance(bucket, str) and Path(bucket).name.startswith("fakesnow_bucket_"):
        shutil.rmtree(bucket, ignore_errors=True)
