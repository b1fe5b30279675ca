"""The extract job against the real demo API over HTTP on loopback, into a tmp lake."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from glueflake import failpoints
from glueflake.config import PipelineConfig
from glueflake.extract import read_bookmark, run_extract
from glueflake.lake import LocalStore, ObjectStore, list_manifests, parse_data_key

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = pytest.mark.integration
demo_api = pytest.importorskip("glueflake.demo_api")
if not hasattr(demo_api, "DemoServer"):  # pragma: no cover - until the demo API lands
    pytest.skip("glueflake.demo_api has no DemoServer yet", allow_module_level=True)

from glueflake.demo_api import (  # noqa: E402
    DemoServer,
    DemoSettings,
    count_customers,
    count_orders,
    countries,
    iso,
)
from glueflake.demo_api.customers import iter_customers  # noqa: E402
from glueflake.demo_api.orders import iter_orders  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY = "integration-key"
SEED, SCALE, DAY = 11, 3_000, 300


RETRIES = {"max_attempts": 6, "backoff_initial": 0.01, "backoff_max": 0.05}


def _raw_config(
    demo_config: DemoConfig, base_url: str = "demo", day: int | None = DAY, hour: int = 24
) -> dict[str, Any]:
    return demo_config(
        seed=SEED,
        scale=SCALE,
        day=day,
        hour=hour,
        base_url=base_url,
        api_key=KEY,
        orders_file_max_records=1_000,
        orders_page_size=250,
        shop={"retries": RETRIES},
    )


def _config(demo_config: DemoConfig, day: int = DAY, hour: int = 24) -> PipelineConfig:
    return PipelineConfig.model_validate(_raw_config(demo_config, day=day, hour=hour))


def _settings(day: int = DAY, **kw: Any) -> Any:
    return DemoSettings(seed=SEED, scale=SCALE, day=day, api_key=KEY, **kw)


def _committed(store: ObjectStore, source: str, entity: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for manifest in list_manifests(store, source, entity):
        for f in manifest.files:
            lines = gzip.decompress(store.get(f.key)).splitlines()
            assert len(lines) == f.records
            records += [orjson.loads(line) for line in lines]
    return records


def _keys(store: ObjectStore) -> set[str]:
    return {i.key for i in store.list("raw/")}


def test_counts_and_content_match_the_api(tmp_lake: LocalStore, demo_config: DemoConfig) -> None:
    summary = run_extract(_config(demo_config), progress=False, store=tmp_lake)
    settings = _settings()
    assert summary.result("shop", "orders").records == count_orders(settings)
    assert summary.result("shop", "customers").records == count_customers(settings)
    assert summary.result("restcountries", "countries").records == len(countries(DAY))
    assert _committed(tmp_lake, "shop", "orders") == list(iter_orders(settings))
    assert _committed(tmp_lake, "shop", "customers") == list(iter_customers(settings))
    assert _committed(tmp_lake, "restcountries", "countries") == countries(DAY)
    for info in tmp_lake.list("raw/"):
        if info.key.endswith(".ndjson.gz"):
            parsed = parse_data_key(info.key)
            assert parsed is not None and parsed.run_id == summary.run_id


def test_the_demo_hour_reaches_the_served_world(
    tmp_lake: LocalStore, demo_config: DemoConfig
) -> None:
    run_extract(_config(demo_config, hour=9), progress=False, store=tmp_lake, only=["shop.orders"])
    at_nine = list(iter_orders(_settings(hour=9)))
    assert _committed(tmp_lake, "shop", "orders") == at_nine
    assert at_nine != list(iter_orders(_settings()))
    assert max(r["updated_at"] for r in at_nine) < f"{iso(_settings().now)[:10]}T09:00:00Z"


def test_second_run_same_day_writes_nothing_new(
    tmp_lake: LocalStore, demo_config: DemoConfig
) -> None:
    run_extract(_config(demo_config), progress=False, store=tmp_lake)
    before = _keys(tmp_lake)
    bookmark = read_bookmark(tmp_lake, "shop", "orders")
    again = run_extract(_config(demo_config), progress=False, store=tmp_lake)
    assert _keys(tmp_lake) == before
    assert again.result("shop", "orders").records == 0
    assert again.result("shop", "customers").records == 0
    assert again.result("restcountries", "countries").skipped_unchanged
    assert read_bookmark(tmp_lake, "shop", "orders") == bookmark


def test_next_day_extracts_only_the_changes(tmp_lake: LocalStore, demo_config: DemoConfig) -> None:
    run_extract(_config(demo_config, DAY), progress=False, store=tmp_lake)
    expected: dict[str, list[dict[str, Any]]] = {}
    for entity, iterate in (("orders", iter_orders), ("customers", iter_customers)):
        bm = read_bookmark(tmp_lake, "shop", entity)
        assert bm is not None
        seen = set(bm.ids)
        expected[entity] = [
            r
            for r in iterate(_settings(DAY + 1), updated_since=bm.value)
            if not (r["updated_at"] == bm.value and r["id"] in seen)
        ]
    before = _keys(tmp_lake)
    summary = run_extract(_config(demo_config, DAY + 1), progress=False, store=tmp_lake)
    for entity in ("orders", "customers"):
        result = summary.result("shop", entity)
        assert result.records == len(expected[entity])
        new = [k for k in _keys(tmp_lake) - before if f"/{entity}/ingest_date=" in k]
        got = [
            orjson.loads(line)
            for key in sorted(new)
            for line in gzip.decompress(tmp_lake.get(key)).splitlines()
        ]
        assert got == expected[entity]
    assert len(expected["orders"]) > 0
    assert len(expected["orders"]) < count_orders(_settings(DAY + 1)) // 2


def test_fault_injection_still_yields_complete_data(
    tmp_lake: LocalStore, demo_config: DemoConfig
) -> None:
    settings = _settings(fail_every=3)
    with DemoServer(settings, host="127.0.0.1", port=0) as server:
        config = PipelineConfig.model_validate(
            _raw_config(demo_config, base_url=str(server.base_url).rstrip("/"))
        )
        summary = run_extract(config, progress=False, store=tmp_lake, only=["shop"])
    assert summary.result("shop", "orders").records == count_orders(settings)
    assert _committed(tmp_lake, "shop", "orders") == list(iter_orders(settings))
    assert _committed(tmp_lake, "shop", "customers") == list(iter_customers(settings))


def _pipeline_file(demo_config: DemoConfig, root: Path) -> Path:
    """A pipeline.yml with its lake in ``root / "lake"``; the day comes from --demo-day."""
    raw = _raw_config(demo_config, day=None)
    raw["lake"] = {"url": str(root / "lake")}
    raw["sources"]["shop"]["auth"]["key"] = "${GLUEFLAKE_IT_KEY}"
    raw["sources"]["shop"]["endpoints"]["orders"]["file_max_records"] = 500
    return demo_config.write(root, raw)


def _glue_job(config: Path, day: int, crash_after: int | None = None, only: str = "") -> Any:
    env = {**os.environ, "GLUEFLAKE_IT_KEY": KEY}
    env.pop(failpoints.ENV_VAR, None)
    if crash_after is not None:
        env[failpoints.ENV_VAR] = f"{failpoints.AFTER_FILE_PUT}={crash_after}"
    args = [sys.executable, str(ROOT / "glue" / "extract_api.py"), "--config", str(config)]
    args += ["--demo-day", str(day)] + (["--only", only] if only else [])
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)


def _check_bookmark_within_committed(store: ObjectStore) -> None:
    bm = read_bookmark(store, "shop", "orders")
    if bm is None:
        return
    committed = _committed(store, "shop", "orders")
    at_bookmark = {r["id"] for r in committed if r["updated_at"] == bm.value}
    assert max(r["updated_at"] for r in committed) >= bm.value
    assert set(bm.ids) <= at_bookmark


def test_glue_entry_runs_locally(tmp_path: Path, demo_config: DemoConfig) -> None:
    lake = tmp_path / "lake"
    proc = _glue_job(_pipeline_file(demo_config, tmp_path), DAY, only="shop.customers")
    assert proc.returncode == 0, proc.stderr
    assert "shop.customers" in proc.stdout
    assert KEY not in proc.stdout + proc.stderr
    assert len(_committed(LocalStore(lake), "shop", "customers")) == count_customers(_settings())


def test_killed_mid_extract_loses_nothing(tmp_path: Path, demo_config: DemoConfig) -> None:
    lake = tmp_path / "lake"
    config = _pipeline_file(demo_config, tmp_path)
    store = LocalStore(lake)

    # First run dies after its 3rd data file (kill -9 style): no bookmark yet.
    crashed = _glue_job(config, DAY, crash_after=3, only="shop.orders")
    assert crashed.returncode == 137, crashed.stderr
    assert read_bookmark(store, "shop", "orders") is None
    manifests = list(list_manifests(store, "shop", "orders"))
    assert len(manifests) == 2 and not any(m.final for m in manifests)
    listed = {f.key for m in manifests for f in m.files}
    orphans = [i.key for i in store.list("raw/shop/orders/ingest_") if i.key not in listed]
    assert len(orphans) == 1  # the file whose manifest never came

    done = _glue_job(config, DAY, only="shop.orders")
    assert done.returncode == 0, done.stderr
    want = {r["id"]: r for r in iter_orders(_settings(DAY))}
    got = {r["id"]: r for r in _committed(store, "shop", "orders")}
    assert got == want
    _check_bookmark_within_committed(store)
    first = read_bookmark(store, "shop", "orders")

    # The next day's run dies too: the bookmark must stay where the last commit left it.
    crashed = _glue_job(config, DAY + 1, crash_after=1, only="shop.orders")
    assert crashed.returncode == 137
    assert read_bookmark(store, "shop", "orders") == first
    done = _glue_job(config, DAY + 1, only="shop.orders")
    assert done.returncode == 0, done.stderr
    latest = {r["id"]: r for r in iter_orders(_settings(DAY + 1))}
    got = {}
    for record in _committed(store, "shop", "orders"):  # oldest commit first
        got[record["id"]] = (
            record
            if record["id"] not in got
            else max(got[record["id"]], record, key=lambda r: r["updated_at"])
        )
    assert got == latest
    _check_bookmark_within_committed(store)
