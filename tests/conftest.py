"""Shared fixtures: a temporary lake, the demo API and a moto (AWS) server on loopback."""

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


FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials in us-east-1 and no profile: no call can reach a real account."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_server(aws_env: None) -> Iterator[str]:
    """An empty moto server (every AWS service: S3, CloudFormation, IAM...) on 127.0.0.1.

    It listens on a free port and yields its URL; credentials are `aws_env`'s.
    """
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        # moto keeps its backends per process and they outlive a server: start and end
        # every test with an empty account.
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        yield url
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
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
