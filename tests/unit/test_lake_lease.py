"""Leases in the lake (issue 15, defect 9): one extract per entity, one run per lake."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from glueflake.config import PipelineConfig
from glueflake.extract import run_extract
from glueflake.lake import LocalStore
from glueflake.lake.layout import lease_key
from glueflake.lake.lease import Holder, Lease, LeaseHeld


def test_a_live_lease_stops_the_second_holder_naming_the_first(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key = lease_key("shop", "orders")
    with Lease(store, key, what="extract shop.orders", ttl=60, run_id="run-1"):
        with pytest.raises(LeaseHeld) as info:
            Lease(store, key, what="extract shop.orders", ttl=60, run_id="run-2").acquire()
        message = str(info.value)
        assert "held by another extract shop.orders" in message and "run run-1" in message
        assert "lake.lease_ttl" in message and "\n" not in message
    assert store.head(key) is None  # released
    with Lease(store, key, what="extract shop.orders", ttl=60):
        pass


def test_a_lease_past_its_ttl_is_taken_over(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key = lease_key("shop", "orders")
    first = Lease(store, key, what="extract", ttl=60)
    first.acquire()  # never released: a crashed holder, on this host and still "alive"
    later = datetime.now(UTC) + timedelta(seconds=61)
    second = Lease(store, key, what="extract", ttl=60, now=lambda: later)
    second.acquire()
    holder = Holder.from_json(store.get(key))
    assert holder is not None and second.holder is not None
    assert holder.token == second.holder.token
    first.release()  # no longer its lease: left alone
    assert store.head(key) is not None


def test_a_lease_whose_process_is_gone_is_stale_at_once(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    store = LocalStore(tmp_path)
    key = lease_key()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    now = datetime.now(UTC)
    dead = Holder(
        "run", socket.gethostname(), int(child.stdout), "r0", "t0", now, now + timedelta(hours=1)
    )
    store.put(key, dead.to_json())
    with Lease(store, key, what="run", ttl=3600):
        pass


def test_an_unreadable_lease_is_stale(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put(lease_key(), b"not json")
    with Lease(store, lease_key(), what="run", ttl=3600):
        pass


class SlowApi:
    """Holds the first request until released, so two extracts overlap."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        self.release.wait(10)
        return httpx.Response(200, json=[{"id": 1, "updated_at": "2026-01-01T00:00:00Z"}])


def _config(tmp_path: Path) -> PipelineConfig:
    return PipelineConfig.model_validate(
        {
            "lake": {"url": str(tmp_path)},
            "sources": {
                "shop": {
                    "base_url": "http://api.test",
                    "endpoints": {
                        "orders": {
                            "path": "/orders",
                            "primary_key": "id",
                            "incremental": {"cursor_field": "updated_at", "param": "since"},
                        }
                    },
                }
            },
        }
    )


def test_two_extracts_of_one_entity_at_once_commit_once(tmp_path: Path) -> None:
    store, api = LocalStore(tmp_path), SlowApi()
    outcome: dict[str, Any] = {}

    def first() -> None:
        outcome["first"] = run_extract(
            _config(tmp_path), progress=False, store=store, transport=httpx.MockTransport(api)
        )

    thread = threading.Thread(target=first)
    thread.start()
    assert api.entered.wait(10)
    with pytest.raises(LeaseHeld) as info:
        run_extract(
            _config(tmp_path), progress=False, store=store, transport=httpx.MockTransport(api)
        )
    api.release.set()
    thread.join(10)
    assert "extract shop.orders" in str(info.value)
    assert outcome["first"].records == 1
    manifests = list(store.list("raw/shop/orders/_manifests/"))
    assert len(manifests) == 1
    assert orjson.loads(store.get(manifests[0].key))["records"] == 1


def test_a_second_glueflake_run_fails_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from glueflake.cli import app

    lake = tmp_path / "lake"
    config = tmp_path / "pipeline.yml"
    config.write_text(
        f"lake: {{url: {lake}}}\nwarehouse: {{path: {tmp_path / 'w.duckdb'}}}\n"
        "sources:\n  shop:\n    base_url: http://127.0.0.1:9\n"
        "    endpoints:\n      items: {path: /items, primary_key: id}\n"
    )
    # The first run: this (live) process holds the run lease.
    with Lease(LocalStore(lake), lease_key(), what="run", ttl=3600, run_id="first-run"):
        result = CliRunner().invoke(app, ["run", "-c", str(config), "--no-progress"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "held by another run" in lines[0] and "first-run" in lines[0]
