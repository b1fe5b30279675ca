"""Shared fixtures: the demo pipeline config, a tmp lake, the demo API and moto on loopback."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from glueflake.lake import LocalStore

DEMO_API_KEY = "test-demo-key"
PROJECT_DIR = Path(__file__).resolve().parents[1]


class DemoConfig:
    """Builds the demo pipeline's config: the repo's ``pipeline.yml`` sources, in tmp.

    Both demo sources as the repository's ``pipeline.yml`` has them (REST Countries:
    countries, replaced; the shop: customers by cursor and orders by Link header, both
    incremental on ``updated_at``), with smaller pages and files so a small run
    commits several. Given a folder,
    the lake, the DuckDB warehouse and dbt's ``target/`` and ``logs/`` go in it (the
    dbt project is the repo's), so parallel test workers never share them.
    """

    def __call__(
        self,
        root: Path | None = None,
        *,
        seed: int = 42,
        scale: int = 1_500,
        day: int | None = 10,
        hour: int | None = None,
        base_url: str = "demo",
        api_key: str = "${GLUEFLAKE_SHOP_API_KEY}",
        orders_file_max_records: int = 500,
        orders_page_size: int = 400,
        shop: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The config as YAML data.

        Args:
            root: folder of the lake, warehouse and dbt output; None leaves them out
                (the defaults), for a config handed to a stage with its own store.
            seed: the demo API's seed.
            scale: orders on the demo API's reference day.
            day: the simulated day; None leaves it out (days since 2026-01-01).
            hour: hours of that day gone by; None leaves it out (24).
            base_url: the sources' ``base_url``: ``demo`` or a demo server's URL.
            api_key: the shop's ``auth.key`` as written in the file.
            orders_file_max_records: records per orders file.
            orders_page_size: orders per page (link-header pagination).
            shop: more settings of the shop source (``retries``, ...).
        """
        incremental = {"cursor_field": "updated_at", "param": "updated_since"}
        demo: dict[str, Any] = {"seed": seed, "scale": scale}
        if day is not None:
            demo["day"] = day
        if hour is not None:
            demo["hour"] = hour
        raw: dict[str, Any] = {"version": 1}
        if root is not None:
            raw["lake"] = {"url": str(root / "lake")}
            raw["warehouse"] = {"type": "duckdb", "path": str(root / "warehouse.duckdb")}
        raw["demo"] = demo
        if root is not None:
            raw["dbt"] = {
                "project_dir": str(PROJECT_DIR),
                "profiles_dir": str(PROJECT_DIR),
                "target": "dev",
                "target_path": str(root / "dbt_target"),
                "log_path": str(root / "dbt_logs"),
            }
        raw["sources"] = {
            "restcountries": {
                "base_url": base_url,
                "endpoints": {
                    "countries": {
                        "path": "/v3.1/all",
                        "primary_key": "cca3",
                        "write_disposition": "replace",
                    }
                },
            },
            "shop": {
                "base_url": base_url,
                "auth": {"type": "api_key", "name": "X-API-Key", "key": api_key},
                "endpoints": {
                    "customers": {
                        "path": "/api/customers",
                        "records": "data",
                        "primary_key": "id",
                        "pagination": {"type": "cursor", "page_size": 100},
                        "incremental": incremental,
                    },
                    "orders": {
                        "path": "/api/orders",
                        "records": "data",
                        "primary_key": "id",
                        "file_max_records": orders_file_max_records,
                        "pagination": {"type": "link_header", "page_size": orders_page_size},
                        "incremental": incremental,
                    },
                },
                **(shop or {}),
            },
        }
        return raw

    def write(
        self,
        root: Path,
        raw: Mapping[str, Any] | None = None,
        *,
        name: str = "pipeline.yml",
        **kw: Any,
    ) -> Path:
        """Write `raw` (default: ``self(root, **kw)``) to ``root / name``; returns the path."""
        root.mkdir(parents=True, exist_ok=True)
        path = root / name
        data = self(root, **kw) if raw is None else dict(raw)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path


@pytest.fixture
def no_glueflake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GLUEFLAKE* variable from the caller's environment (they override the config)."""
    for name in list(os.environ):
        if name.startswith("GLUEFLAKE"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def demo_config() -> DemoConfig:
    """The demo pipeline config builder: ``demo_config(root, day=...)`` and ``.write``."""
    return DemoConfig()


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
